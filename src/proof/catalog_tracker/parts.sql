-- The catalog objects that belong to relations $1 and types $2 and vanish
-- without their owner being written to (DROP INDEX, DROP TRIGGER, ...):
-- (classid, objid, kind, owner), so that a dropped one names its owner.
SELECT 'pg_class'::regclass::int8 AS classid, i.indexrelid::int8 AS objid,
       'r' AS kind, i.indrelid::int8 AS owner
  FROM pg_index i WHERE i.indrelid = ANY($1)
UNION ALL SELECT 'pg_constraint'::regclass::int8, oid::int8, 'r', conrelid::int8
  FROM pg_constraint WHERE conrelid = ANY($1)
UNION ALL SELECT 'pg_constraint'::regclass::int8, oid::int8, 't', contypid::int8
  FROM pg_constraint WHERE conrelid = 0 AND contypid = ANY($2)
UNION ALL SELECT 'pg_trigger'::regclass::int8, oid::int8, 'r', tgrelid::int8
  FROM pg_trigger WHERE tgrelid = ANY($1)
UNION ALL SELECT 'pg_rewrite'::regclass::int8, oid::int8, 'r', ev_class::int8
  FROM pg_rewrite WHERE ev_class = ANY($1)
UNION ALL SELECT 'pg_attrdef'::regclass::int8, oid::int8, 'r', adrelid::int8
  FROM pg_attrdef WHERE adrelid = ANY($1)
UNION ALL SELECT 'pg_class'::regclass::int8, typrelid::int8, 't', oid::int8
  FROM pg_type WHERE oid = ANY($2) AND typrelid <> 0
