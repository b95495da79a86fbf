-- Devices and their credentials. Issue 3 grows the full registry around this table.
CREATE TABLE IF NOT EXISTS devices (
    device_id   text PRIMARY KEY CHECK (device_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    project_id  text NOT NULL CHECK (project_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    secret      text NOT NULL CHECK (length(secret) >= 16),
    direction   text NOT NULL DEFAULT 'unknown' CHECK (direction IN ('in', 'out', 'unknown')),
    vendor      text NOT NULL DEFAULT '',
    model       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE INDEX IF NOT EXISTS devices_project ON devices (project_id);
