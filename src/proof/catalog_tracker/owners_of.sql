-- The owners (relations 'r', types 't', routines 'p' of the user's schemas)
-- that the catalog objects of `objects (classid, objid)` belong to: an index,
-- a constraint, a trigger, a rule or a default belongs to its table, a
-- composite type's relation to the type, a row type to its relation.
-- Preceded by a `WITH objects AS (...)` that says which objects.
SELECT DISTINCT x.kind, x.oid::int8 AS oid FROM objects d
CROSS JOIN LATERAL (
  SELECT CASE WHEN c.relkind = 'c' THEN 't' ELSE 'r' END AS kind,
         CASE WHEN c.relkind = 'c' THEN c.reltype
              WHEN c.relkind IN ('i', 'I')
                THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid)
              ELSE c.oid END AS oid
    FROM pg_class c WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid
  UNION ALL SELECT 'r', ev_class FROM pg_rewrite
    WHERE d.classid = 'pg_rewrite'::regclass AND oid = d.objid
  UNION ALL SELECT CASE WHEN conrelid <> 0 THEN 'r' ELSE 't' END,
                   CASE WHEN conrelid <> 0 THEN conrelid ELSE contypid END
    FROM pg_constraint WHERE d.classid = 'pg_constraint'::regclass AND oid = d.objid
  UNION ALL SELECT 'r', tgrelid FROM pg_trigger
    WHERE d.classid = 'pg_trigger'::regclass AND oid = d.objid
  UNION ALL SELECT 'r', adrelid FROM pg_attrdef
    WHERE d.classid = 'pg_attrdef'::regclass AND oid = d.objid
  UNION ALL SELECT CASE WHEN r.relkind IS NULL OR r.relkind = 'c' THEN 't' ELSE 'r' END,
                   CASE WHEN r.relkind IS NULL OR r.relkind = 'c' THEN t.oid ELSE t.typrelid END
    FROM pg_type t LEFT JOIN pg_class r ON r.oid = t.typrelid
    WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
  UNION ALL SELECT 'p', d.objid WHERE d.classid = 'pg_proc'::regclass) x
-- Only what the inventory counts as an owner.
WHERE (x.kind = 'r' AND EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = x.oid AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
          AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'))
   OR (x.kind = 't' AND EXISTS (
        SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.oid = x.oid AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
          AND (t.typtype IN ('e', 'd', 'r')
               OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c
                                               WHERE c.oid = t.typrelid AND c.relkind = 'c')))))
   OR (x.kind = 'p' AND EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.oid = x.oid AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'))
