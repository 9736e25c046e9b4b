CREATE TABLE IF NOT EXISTS {diesel} (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS {side} (
    version varchar(50) PRIMARY KEY,
    dir_name text NOT NULL,
    up_sha256 text NOT NULL,
    down_sha256 text,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision,
    applied_by text NOT NULL,
    diesel_run_on timestamp
);
