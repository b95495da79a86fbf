-- Key positions (关键岗位) whose entry and exit a regulator approves, and entry invitations.
CREATE TABLE IF NOT EXISTS key_positions (
    position_id      bigserial PRIMARY KEY,
    project_id       text NOT NULL REFERENCES projects (project_id),
    worker_id        bigint NOT NULL REFERENCES workers (worker_id),
    position         text NOT NULL CHECK (position IN ('project_manager', 'technical_lead',
                     'chief_supervisor', 'safety_officer', 'quality_officer', 'labour_officer')),
    status           text NOT NULL DEFAULT 'pending_entry' CHECK (status IN
                     ('pending_entry', 'active', 'pending_exit', 'exited', 'rejected')),
    requested_by     text NOT NULL,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    entry_decided_by text,
    entry_decided_at timestamptz,
    exit_requested_at timestamptz,
    exit_decided_by  text,
    exit_decided_at  timestamptz,
    decision_reason  text NOT NULL DEFAULT ''
);
-- One person per key position per project while it is pending or held.
CREATE UNIQUE INDEX IF NOT EXISTS key_positions_one_holder ON key_positions (project_id, position)
    WHERE status IN ('pending_entry', 'active', 'pending_exit');

CREATE TABLE IF NOT EXISTS entry_invitations (
    invitation_id bigserial PRIMARY KEY,
    project_id    text NOT NULL REFERENCES projects (project_id),
    team_id       bigint REFERENCES teams (team_id),
    worker_id     bigint NOT NULL REFERENCES workers (worker_id),
    invited_by    text NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    responded_at  timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS entry_invitations_one_pending
    ON entry_invitations (project_id, worker_id) WHERE status = 'pending'
