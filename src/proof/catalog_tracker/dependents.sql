),
seeds AS (
  SELECT ARRAY(SELECT oid::oid FROM direct WHERE kind = 'r' UNION SELECT unnest($3::oid[])) AS r,
         ARRAY(SELECT oid::oid FROM direct WHERE kind = 't' UNION SELECT unnest($4::oid[])) AS t,
         ARRAY(SELECT oid::oid FROM direct WHERE kind = 'p' UNION SELECT unnest($5::oid[])) AS p),
-- The catalog objects that depend on the seed relations, types (and their
-- array types, which columns of `type[]` depend on) or routines: one hop
-- of pg_depend, through its index on the referenced object; and every
-- inheritance descendant of the relations (a column added to a parent
-- reaches its grandchildren too).
descendants AS (
  SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY((SELECT r FROM seeds)::oid[])
  UNION SELECT i.inhrelid FROM pg_inherits i JOIN descendants d ON i.inhparent = d.inhrelid),
objects AS (
  SELECT classid, objid FROM pg_depend
  WHERE (refclassid = 'pg_class'::regclass AND refobjid = ANY((SELECT r FROM seeds)::oid[]))
     OR (refclassid = 'pg_type'::regclass
         AND (refobjid = ANY((SELECT t FROM seeds)::oid[])
              OR refobjid = ANY(ARRAY(SELECT typarray FROM pg_type
                                      WHERE oid = ANY((SELECT t FROM seeds)::oid[])))))
     OR (refclassid = 'pg_proc'::regclass AND refobjid = ANY((SELECT p FROM seeds)::oid[]))
  UNION ALL SELECT 'pg_class'::regclass, inhrelid FROM descendants),
depending AS (
