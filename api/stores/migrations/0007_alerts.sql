-- Alerts and their lifecycle: open -> acknowledged -> resolved, or cleared (消警) when the
-- condition no longer holds. One alert per rule, subject and window.
ALTER TABLE projects ADD COLUMN site_limit integer CHECK (site_limit > 0);

CREATE TABLE alerts (
    alert_id        bigserial PRIMARY KEY,
    rule            text NOT NULL,
    subject         text NOT NULL,
    window_key      text NOT NULL,
    project_id      text NOT NULL REFERENCES projects (project_id),
    severity        text NOT NULL CHECK (severity IN ('warning', 'critical')),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'acknowledged', 'resolved', 'cleared')),
    message_zh      text NOT NULL,
    evidence        jsonb NOT NULL DEFAULT '{}',
    opened_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    acknowledged_by text,
    acknowledged_at timestamptz,
    resolved_by     text,
    resolved_at     timestamptz,
    cleared_at      timestamptz,
    escalated_at    timestamptz,
    UNIQUE (rule, subject, window_key)
);
CREATE INDEX alerts_by_project ON alerts (project_id, status);

CREATE TABLE alert_events (
    event_id  bigserial PRIMARY KEY,
    alert_id  bigint NOT NULL REFERENCES alerts (alert_id),
    at        timestamptz NOT NULL DEFAULT now(),
    kind      text NOT NULL,
    actor     text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, event_id);

-- One row per alert transition, channel and recipient: a retried task never sends twice.
CREATE TABLE notification_log (
    notification_id bigserial PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES alerts (alert_id),
    transition      text NOT NULL,
    channel         text NOT NULL,
    recipient       text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (alert_id, transition, channel, recipient)
);
