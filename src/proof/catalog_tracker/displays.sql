SELECT 'r' AS kind, oid::int8 AS oid, oid::regclass::text AS display
  FROM pg_class WHERE oid = ANY($1)
UNION ALL SELECT 't', oid::int8, oid::regtype::text FROM pg_type WHERE oid = ANY($2)
UNION ALL SELECT 'p', p.oid::int8,
  CASE WHEN n.nspname = 'public' THEN '' ELSE quote_ident(n.nspname) || '.' END
  || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.oid = ANY($3)
