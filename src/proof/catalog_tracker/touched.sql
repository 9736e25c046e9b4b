-- The owners that DDL touched and the owners that depend on them, in one
-- round trip. `direct`: the owners of the catalog objects $1 (classids) /
-- $2 (objids) that DDL reported; `seeds`: those, with relations $3, types
-- $4 and routines $5 known touched otherwise (dropped, or from the
-- inventory). Followed by owners_of.sql, dependents.sql, owners_of.sql again
-- and depending.sql.
WITH RECURSIVE direct AS (
  WITH objects AS (
    SELECT classid, objid FROM unnest($1::oid[], $2::oid[]) AS o (classid, objid))
