-- The catalog objects $1 (classids) / $2 (objids) that DDL reported.
WITH objects AS (
  SELECT classid, objid FROM unnest($1::oid[], $2::oid[]) AS o (classid, objid))
