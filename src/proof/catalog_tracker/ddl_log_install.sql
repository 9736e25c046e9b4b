-- The DDL log: two event triggers (one function) that write what each DDL command created,
-- altered or dropped into a temporary table of this session. Everything
-- lives in pg_temp, so it is gone (triggers included, by dependency) when
-- the session ends; DDL of another session finds no log table and writes
-- nothing. ENABLE ALWAYS: a migration that sets session_replication_role
-- still reports. SECURITY DEFINER: DDL run after `SET ROLE` still writes to
-- the log (a table of the role that installed it). Creating event triggers
-- needs a superuser: without one the tracker reads the full inventory
-- instead.
CREATE TEMP TABLE IF NOT EXISTS ragchat_ddl_log (
  classid oid, objid oid, objsubid int4, command text, schema text, dropped bool);
-- One function for both events: what a command made or altered at its end,
-- and what it dropped (with the object's type as its command).
CREATE OR REPLACE FUNCTION pg_temp.ragchat_ddl_log_write() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF pg_catalog.to_regclass('pg_temp.ragchat_ddl_log') IS NULL THEN
    RETURN;
  END IF;
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO pg_temp.ragchat_ddl_log
    SELECT d.classid, d.objid, d.objsubid, d.object_type, d.schema_name, true
    FROM pg_catalog.pg_event_trigger_dropped_objects() d;
  ELSE
    INSERT INTO pg_temp.ragchat_ddl_log
    SELECT c.classid, c.objid, c.objsubid, c.command_tag, c.schema_name, false
    FROM pg_catalog.pg_event_trigger_ddl_commands() c;
  END IF;
END $$;
DROP EVENT TRIGGER IF EXISTS ragchat_ddl_log_end;
DROP EVENT TRIGGER IF EXISTS ragchat_ddl_log_drop;
CREATE EVENT TRIGGER ragchat_ddl_log_end ON ddl_command_end
  EXECUTE FUNCTION pg_temp.ragchat_ddl_log_write();
CREATE EVENT TRIGGER ragchat_ddl_log_drop ON sql_drop
  EXECUTE FUNCTION pg_temp.ragchat_ddl_log_write();
ALTER EVENT TRIGGER ragchat_ddl_log_end ENABLE ALWAYS;
ALTER EVENT TRIGGER ragchat_ddl_log_drop ENABLE ALWAYS;
TRUNCATE pg_temp.ragchat_ddl_log;
