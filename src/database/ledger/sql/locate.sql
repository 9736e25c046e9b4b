WITH found AS (
  SELECT array_agg(s.name::text ORDER BY s.ord) AS found
  FROM unnest(current_schemas(false)) WITH ORDINALITY AS s (name, ord)
  WHERE to_regclass(quote_ident(s.name) || '.__diesel_schema_migrations') IS NOT NULL
), chosen AS (
  SELECT found, coalesce(found[1], current_schema()::text) AS chosen FROM found
), t AS (
  SELECT found, chosen,
         to_regclass(quote_ident(chosen) || '.__diesel_schema_migrations') AS d,
         to_regclass(quote_ident(chosen) || '.__ragchat_migrations') AS s
  FROM chosen
)
SELECT found, chosen,
  current_setting('search_path') AS search_path,
  current_setting('transaction_read_only') = 'on' AS read_only,
  current_user::text AS role,
  {also} AS also,
  s IS NOT NULL AS side,
  coalesce(EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = s
    AND a.attname = 'diesel_run_on' AND NOT a.attisdropped), false) AS side_current,
  (d IS NULL OR has_table_privilege(d, 'SELECT') AND has_table_privilege(d, 'INSERT')
     AND has_table_privilege(d, 'DELETE'))
  AND (s IS NULL OR has_table_privilege(s, 'SELECT') AND has_table_privilege(s, 'INSERT')
     AND has_table_privilege(s, 'DELETE')) AS may_write,
  coalesce(chosen IS NOT NULL AND has_schema_privilege(chosen, 'CREATE'), false) AS may_create,
  (SELECT pg_get_userbyid(c.relowner)::text FROM pg_class c WHERE c.oid = s) AS side_owner
FROM t
