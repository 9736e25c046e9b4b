WITH nsp AS (
  SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
),
rel AS (
  SELECT oid, xmin FROM pg_class
  WHERE relnamespace IN (SELECT oid FROM nsp) AND relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
),
typ AS (
  SELECT t.oid, t.xmin, t.typrelid FROM pg_type t
  WHERE t.typnamespace IN (SELECT oid FROM nsp)
    AND (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND t.typrelid IN (SELECT oid FROM pg_class WHERE relkind = 'c')))
),
owned (kind, owner, x) AS (
  SELECT 'r', oid, xmin FROM rel
  UNION ALL SELECT 'r', a.attrelid, a.xmin FROM pg_attribute a
            WHERE a.attrelid IN (SELECT oid FROM rel)
  UNION ALL SELECT 'r', d.adrelid, d.xmin FROM pg_attrdef d
  UNION ALL SELECT 'r', c.conrelid, c.xmin FROM pg_constraint c WHERE c.conrelid <> 0
  UNION ALL SELECT 't', c.contypid, c.xmin FROM pg_constraint c WHERE c.contypid <> 0
  UNION ALL SELECT 'r', i.indrelid, i.xmin FROM pg_index i
  UNION ALL SELECT 'r', i.indrelid, ic.xmin FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
  UNION ALL SELECT 'r', g.tgrelid, g.xmin FROM pg_trigger g
  UNION ALL SELECT 'r', w.ev_class, w.xmin FROM pg_rewrite w
  UNION ALL SELECT 'r', h.inhrelid, h.xmin FROM pg_inherits h
  UNION ALL SELECT 'r', s.seqrelid, s.xmin FROM pg_sequence s
  UNION ALL SELECT 'r', p.partrelid, p.xmin FROM pg_partitioned_table p
  UNION ALL SELECT 't', oid, xmin FROM typ
  UNION ALL SELECT 't', t.oid, a.xmin FROM typ t JOIN pg_attribute a ON a.attrelid = t.typrelid
  UNION ALL SELECT 't', t.oid, c.xmin FROM typ t JOIN pg_class c ON c.oid = t.typrelid
  UNION ALL SELECT 't', e.enumtypid, e.xmin FROM pg_enum e
  UNION ALL SELECT 't', r.rngtypid, r.xmin FROM pg_range r
  UNION ALL SELECT 'p', p.oid, p.xmin FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM nsp)
)
SELECT o.kind, o.owner::int8 AS oid, count(*)::int8 AS n, sum(o.x::text::int8)::int8 AS xsum
FROM owned o
WHERE (o.kind = 'r' AND o.owner IN (SELECT oid FROM rel))
   OR (o.kind = 't' AND o.owner IN (SELECT oid FROM typ))
   OR o.kind = 'p'
GROUP BY 1, 2
