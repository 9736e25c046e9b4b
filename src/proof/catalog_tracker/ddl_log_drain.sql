-- Takes every entry out of the DDL log, and adds one row (classid -1) whose
-- objid counts the log's event triggers still enabled: fewer than two means
-- DDL may have gone unreported.
WITH drained AS (DELETE FROM pg_temp.ragchat_ddl_log RETURNING *)
SELECT classid::int8 AS classid, objid::int8 AS objid, objsubid, command, schema, dropped
FROM drained
UNION ALL
SELECT -1, count(*), 0, NULL, NULL, false FROM pg_event_trigger
WHERE evtname IN ('ragchat_ddl_log_end', 'ragchat_ddl_log_drop') AND evtenabled = 'A'
