-- The catalog objects that depend on relations $1, types $2 (and their
-- array types, which columns of `type[]` depend on) or routines $3: one hop
-- of pg_depend, through its index on the referenced object; and every
-- inheritance descendant of the relations (a column added to a parent
-- reaches its grandchildren too).
WITH RECURSIVE descendants AS (
  SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY($1)
  UNION SELECT i.inhrelid FROM pg_inherits i JOIN descendants d ON i.inhparent = d.inhrelid),
objects AS (
  SELECT classid, objid FROM pg_depend
  WHERE (refclassid = 'pg_class'::regclass AND refobjid = ANY($1))
     OR (refclassid = 'pg_type'::regclass
         AND (refobjid = ANY($2)
              OR refobjid = ANY(ARRAY(SELECT typarray FROM pg_type WHERE oid = ANY($2)))))
     OR (refclassid = 'pg_proc'::regclass AND refobjid = ANY($3))
  UNION ALL SELECT 'pg_class'::regclass, inhrelid FROM descendants)
