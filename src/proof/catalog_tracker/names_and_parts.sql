-- In one round trip, rows of two shapes (kind, oid, display, classid, objid):
--
-- how relations $1, types $2 and routines $3 are named in the facts (their
-- display; classid and objid NULL), so that each fact finds its owner;
SELECT 'r' AS kind, oid::int8 AS oid, oid::regclass::text AS display,
       NULL::int8 AS classid, NULL::int8 AS objid
  FROM pg_class WHERE oid = ANY($1)
UNION ALL SELECT 't', oid::int8, oid::regtype::text, NULL, NULL
  FROM pg_type WHERE oid = ANY($2)
UNION ALL SELECT 'p', p.oid::int8,
  CASE WHEN n.nspname = 'public' THEN '' ELSE quote_ident(n.nspname) || '.' END
  || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  NULL, NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.oid = ANY($3)
-- and the catalog objects that belong to relations $4 and types $5 and
-- vanish without their owner being written to (DROP INDEX, DROP TRIGGER,
-- ...): (kind, owner, display NULL, classid, objid), so that a dropped one
-- names its owner.
UNION ALL SELECT 'r', i.indrelid::int8, NULL, 'pg_class'::regclass::int8, i.indexrelid::int8
  FROM pg_index i WHERE i.indrelid = ANY($4)
UNION ALL SELECT 'r', conrelid::int8, NULL, 'pg_constraint'::regclass::int8, oid::int8
  FROM pg_constraint WHERE conrelid = ANY($4)
UNION ALL SELECT 't', contypid::int8, NULL, 'pg_constraint'::regclass::int8, oid::int8
  FROM pg_constraint WHERE conrelid = 0 AND contypid = ANY($5)
UNION ALL SELECT 'r', tgrelid::int8, NULL, 'pg_trigger'::regclass::int8, oid::int8
  FROM pg_trigger WHERE tgrelid = ANY($4)
UNION ALL SELECT 'r', ev_class::int8, NULL, 'pg_rewrite'::regclass::int8, oid::int8
  FROM pg_rewrite WHERE ev_class = ANY($4)
UNION ALL SELECT 'r', adrelid::int8, NULL, 'pg_attrdef'::regclass::int8, oid::int8
  FROM pg_attrdef WHERE adrelid = ANY($4)
UNION ALL SELECT 't', oid::int8, NULL, 'pg_class'::regclass::int8, typrelid::int8
  FROM pg_type WHERE oid = ANY($5) AND typrelid <> 0
