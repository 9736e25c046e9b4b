EXISTS (SELECT 1 FROM pg_class c
  WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND c.relname NOT IN ('__diesel_schema_migrations', '__ragchat_migrations'))
