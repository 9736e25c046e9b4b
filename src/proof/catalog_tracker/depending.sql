)
-- Each owner once: a direct one is not also a dependent.
SELECT true AS direct, kind, oid FROM direct
UNION ALL SELECT false, kind, oid FROM depending
  WHERE (kind, oid) NOT IN (SELECT kind, oid FROM direct)
