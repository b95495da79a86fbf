-- Why an active attendance alert is held (a declared stoppage, every gate dark), shown
-- beside it; NULL while it is judged as usual.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS held_reason text;

-- The regulated side cannot weaken its own warnings: suspending (停工) or completing a
-- project, or moving its supervision-briefing date, is requested by the contractor and
-- takes effect only when a regulator of the region approves it.
CREATE TABLE IF NOT EXISTS project_change_requests (
    request_id   bigserial PRIMARY KEY,
    project_id   text NOT NULL REFERENCES projects (project_id),
    changes      jsonb NOT NULL,
    reason       text NOT NULL DEFAULT '',
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   text,
    decided_at   timestamptz,
    decision_reason text
);
CREATE UNIQUE INDEX IF NOT EXISTS project_change_requests_one_pending
    ON project_change_requests (project_id) WHERE status = 'pending';
