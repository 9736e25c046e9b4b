WITH nsp AS (
  -- Every schema of the user's: pg_* are reserved for the system (pg_toast,
  -- pg_temp_N, pg_toast_temp_N, pg_catalog).
  SELECT n.oid, n.nspname FROM pg_namespace n
  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
),
rel AS (
  SELECT c.oid, c.relkind, c.relpersistence, c.relispartition, c.reloptions,
         c.relpartbound, c.oid::regclass::text AS qname,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS fullname
  FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
    AND c.relname NOT IN ('__diesel_schema_migrations', '__ragchat_migrations', 'alembic_version')
    AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                      AND e.deptype = 'e')
    -- An identity column's sequence is internal to it (shown as the
    -- column's `identity` attribute).
    AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT 1 FROM pg_depend d
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i'))
),
typ AS (
  SELECT t.oid, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull, t.typdefaultbin,
         t.typrelid, t.oid::regtype::text AS qname
  FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace
  WHERE (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c
                                         WHERE c.oid = t.typrelid AND c.relkind = 'c')))
    AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                      AND e.deptype = 'e')
),
-- Materialized so that the few routines of the user's schemas are picked
-- out of pg_proc before anything else is done with them.
proc AS MATERIALIZED (
  SELECT p.oid, p.proname, p.prokind, n.nspname
  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
),
facts (kind, name, ord, key, value) AS (
  SELECT 'schema', quote_ident(n.nspname), 0, '', NULL::text
  FROM nsp n
  WHERE n.nspname <> 'public'
    AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid
                      AND e.deptype = 'e')

  UNION ALL
  SELECT 'extension', quote_ident(x.extname), v.ord, v.key, v.value
  FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
  CROSS JOIN LATERAL (VALUES (1, 'version', x.extversion),
                             (2, 'schema', quote_ident(n.nspname))) v (ord, key, value)
  WHERE x.extname <> 'plpgsql'

  UNION ALL
  SELECT 'enum', t.qname, 1, 'labels',
         (SELECT '(' || coalesce(string_agg(quote_literal(e.enumlabel), ', '
                                            ORDER BY e.enumsortorder), '') || ')'
          FROM pg_enum e WHERE e.enumtypid = t.oid)
  FROM typ t WHERE t.typtype = 'e'

  UNION ALL
  SELECT 'domain', t.qname, v.ord, v.key, v.value
  FROM typ t
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(t.typbasetype, t.typtypmod)),
    (2, 'nullability', CASE WHEN t.typnotnull THEN 'not null' END),
    (3, 'default', pg_get_expr(t.typdefaultbin, 0))) v (ord, key, value)
  WHERE t.typtype = 'd'

  UNION ALL
  SELECT 'type', t.qname, 1, 'attributes',
         (SELECT '(' || coalesce(string_agg(quote_ident(a.attname) || ' '
                                            || format_type(a.atttypid, a.atttypmod), ', '
                                            ORDER BY a.attnum), '') || ')'
          FROM pg_attribute a
          WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM typ t WHERE t.typtype = 'c'

  UNION ALL
  SELECT 'type', t.qname, 1, 'range of', format_type(r.rngsubtype, NULL)
  FROM typ t JOIN pg_range r ON r.rngtypid = t.oid

  UNION ALL
  SELECT 'sequence', r.qname, v.ord, v.key, v.value
  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = r.oid
       AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'
  LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(s.seqtypid, NULL)),
    (2, 'increment', s.seqincrement::text),
    (3, 'start', s.seqstart::text),
    (4, 'min', s.seqmin::text),
    (5, 'max', s.seqmax::text),
    (6, 'cache', s.seqcache::text),
    (7, 'cycle', CASE WHEN s.seqcycle THEN 'yes' ELSE 'no' END),
    (8, 'owned by', d.refobjid::regclass::text || '.' || quote_ident(oa.attname))
  ) v (ord, key, value)

  UNION ALL
  SELECT 'table', r.qname, v.ord, v.key, v.value
  FROM rel r
  CROSS JOIN LATERAL (VALUES
    (1, 'columns',
     (SELECT '(' || coalesce(string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), '')
             || ')'
      FROM pg_attribute a
      WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped)),
    (2, 'persistence', CASE WHEN r.relpersistence = 'u' THEN 'unlogged' END),
    (3, 'partitioned by', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END),
    (4, 'partition of',
     CASE WHEN r.relispartition THEN
       (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = r.oid)
       || ' ' || pg_get_expr(r.relpartbound, r.oid) END),
    (5, 'inherits',
     CASE WHEN NOT r.relispartition THEN
       (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
        FROM pg_inherits i WHERE i.inhrelid = r.oid) END),
    (6, 'options',
     (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(r.reloptions) o))
  ) v (ord, key, value)
  WHERE r.relkind IN ('r', 'p', 'f')

  UNION ALL
  SELECT 'column', r.qname || '.' || quote_ident(a.attname), v.ord, v.key, v.value
  FROM rel r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(a.atttypid, a.atttypmod)),
    (2, 'nullability', CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END),
    (3, 'default', CASE WHEN a.attgenerated NOT IN ('s', 'v')
                        THEN pg_get_expr(d.adbin, d.adrelid) END),
    (4, 'generated', CASE a.attgenerated
                       WHEN 's' THEN 'always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                       WHEN 'v' THEN 'always as (' || pg_get_expr(d.adbin, d.adrelid) || ') virtual'
                     END),
    (5, 'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END),
    (6, 'collation', CASE WHEN a.attcollation <> t.typcollation
                          THEN a.attcollation::regcollation::text END)
  ) v (ord, key, value)
  WHERE r.relkind IN ('r', 'p', 'f')

  UNION ALL
  -- Constraints of tables, then of domains: each reached from its owner
  -- through the (conrelid, contypid) index, never a scan of every constraint.
  SELECT 'constraint', r.qname || ' ' || quote_ident(con.conname),
         1, 'definition', pg_get_constraintdef(con.oid)
  FROM rel r
  JOIN pg_constraint con ON con.conrelid = r.oid
  WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')

  UNION ALL
  SELECT 'constraint', t.qname || ' ' || quote_ident(con.conname),
         1, 'definition', pg_get_constraintdef(con.oid)
  FROM typ t
  JOIN pg_constraint con ON con.conrelid = 0 AND con.contypid = t.oid
  WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')

  UNION ALL
  -- The `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table ` head repeats
  -- the identity; only what follows it is the definition.
  SELECT 'index', r.qname || ' ' || quote_ident(ic.relname), 1, 'definition',
         CASE
           WHEN starts_with(x.def, x.head || r.fullname || ' ')
             THEN x.uq || substr(x.def, length(x.head || r.fullname || ' ') + 1)
           WHEN starts_with(x.def, x.head || 'ONLY ' || r.fullname || ' ')
             THEN x.uq || 'ONLY ' || substr(x.def, length(x.head || 'ONLY ' || r.fullname || ' ') + 1)
           ELSE x.def
         END
  FROM pg_index i
  JOIN rel r ON r.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  CROSS JOIN LATERAL (SELECT
      pg_get_indexdef(i.indexrelid) AS def,
      CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END AS uq,
      'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
        || quote_ident(ic.relname) || ' ON ' AS head) x
  -- Indexes of primary key, unique and exclusion constraints are the
  -- constraint's; a foreign key's conindid points at the *referenced*
  -- table's index, which stays listed.
  WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                      AND c.contype IN ('p', 'u', 'x'))

  UNION ALL
  SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END,
         r.qname, v.ord, v.key, v.value
  FROM rel r
  CROSS JOIN LATERAL (VALUES
    (1, 'definition', pg_get_viewdef(r.oid, true)),
    (2, 'options',
     (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(r.reloptions) o))
  ) v (ord, key, value)
  WHERE r.relkind IN ('v', 'm')

  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         CASE WHEN p.nspname = 'public' THEN '' ELSE quote_ident(p.nspname) || '.' END
           || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
         1, 'definition',
         -- pg_get_functiondef refuses aggregates.
         CASE WHEN p.prokind = 'a' THEN
           (SELECT 'SFUNC = ' || ag.aggtransfn::regproc::text
                   || ', STYPE = ' || format_type(ag.aggtranstype, NULL)
                   || coalesce(', FINALFUNC = ' || nullif(ag.aggfinalfn, 0)::regproc::text, '')
                   || coalesce(', INITCOND = ' || quote_literal(ag.agginitval), '')
                   || ', RETURNS ' || pg_get_function_result(p.oid)
            FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
         ELSE pg_get_functiondef(p.oid) END
  FROM proc p
  -- Members of an extension, and functions internal to another object (the
  -- constructors of a range type), are not listed on their own.
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype IN ('e', 'i'))

  UNION ALL
  -- As for indexes, `CREATE [CONSTRAINT] TRIGGER name` and `ON
  -- schema.table` repeat the identity and are cut out.
  SELECT 'trigger', r.qname || ' ' || quote_ident(tg.tgname), v.ord, v.key, v.value
  FROM rel r
  JOIN pg_trigger tg ON tg.tgrelid = r.oid
  CROSS JOIN LATERAL (SELECT
      CASE
        WHEN starts_with(d.def, 'CREATE TRIGGER ' || quote_ident(tg.tgname) || ' ')
          THEN substr(d.def, length('CREATE TRIGGER ' || quote_ident(tg.tgname) || ' ') + 1)
        WHEN starts_with(d.def, 'CREATE CONSTRAINT TRIGGER ' || quote_ident(tg.tgname) || ' ')
          THEN 'CONSTRAINT ' || substr(d.def,
                 length('CREATE CONSTRAINT TRIGGER ' || quote_ident(tg.tgname) || ' ') + 1)
        ELSE d.def
      END AS body
      FROM (SELECT pg_get_triggerdef(tg.oid) AS def) d) b
  CROSS JOIN LATERAL (SELECT position(' ON ' || r.fullname || ' ' IN b.body) AS at) o
  CROSS JOIN LATERAL (VALUES
    (1, 'definition',
     CASE WHEN o.at > 0
          THEN overlay(b.body PLACING ' ' FROM o.at FOR length(' ON ' || r.fullname || ' '))
          ELSE b.body END),
    (2, 'state', CASE tg.tgenabled WHEN 'D' THEN 'disabled'
                                   WHEN 'R' THEN 'enabled replica'
                                   WHEN 'A' THEN 'enabled always' END)
  ) v (ord, key, value)
  -- Internal triggers implement foreign keys; clones on partitions follow
  -- from the parent's trigger.
  WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
)
SELECT kind, name, ord, key, value FROM facts
WHERE value IS NOT NULL OR key = ''
