-- Vendor terminals (ZKTeco PUSH, ...): known by protocol and serial number, with the time
-- zone their local clock runs in; serials that called and are not registered, for a labour
-- officer to adopt; and the roster commands queued for each terminal (人员下发).
ALTER TABLE devices ADD COLUMN protocol text NOT NULL DEFAULT 'sitepulse'
    CHECK (protocol IN ('sitepulse', 'zkteco', 'hikvision', 'dahua', 'httpv2'));
ALTER TABLE devices ADD COLUMN serial_number text
    CHECK (serial_number ~ '^[A-Za-z0-9_.:-]{1,64}$');
ALTER TABLE devices ADD COLUMN timezone text NOT NULL DEFAULT 'Asia/Shanghai';
CREATE UNIQUE INDEX devices_by_serial ON devices (protocol, serial_number)
    WHERE serial_number IS NOT NULL;

CREATE TABLE unknown_devices (
    protocol      text NOT NULL,
    serial_number text NOT NULL,
    address       text NOT NULL DEFAULT '',
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    requests      bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (protocol, serial_number)
);

CREATE TABLE device_commands (
    command_id  bigserial PRIMARY KEY,
    device_id   text NOT NULL REFERENCES devices (device_id),
    worker_id   bigint NOT NULL,
    action      text NOT NULL CHECK (action IN ('add', 'remove')),
    state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    return_code integer,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    done_at     timestamptz
);
CREATE INDEX device_commands_open ON device_commands (device_id, state);
