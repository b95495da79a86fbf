-- Labour contracts (劳动合同): one worker, one project, the employing enterprise.
CREATE TABLE IF NOT EXISTS labour_contracts (
    contract_id       bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 64),
    worker_id         bigint NOT NULL REFERENCES workers (worker_id),
    project_id        text NOT NULL REFERENCES projects (project_id),
    enterprise_id     bigint NOT NULL REFERENCES enterprises (enterprise_id),
    kind              text NOT NULL CHECK (kind IN ('fixed_term', 'task_based', 'open_ended')),
    signed_on         date NOT NULL,
    starts_on         date NOT NULL,
    ends_on           date,
    wage_basis        text NOT NULL CHECK (wage_basis IN ('daily', 'monthly', 'piecework')),
    wage_amount       numeric(12, 2) NOT NULL CHECK (wage_amount >= 0),
    attachment_name   text,
    attachment_sha256 text CHECK (attachment_sha256 ~ '^[0-9a-f]{64}$'),
    attachment_bytes  bigint CHECK (attachment_bytes >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR ends_on >= starts_on),
    CHECK ((kind = 'open_ended') = (ends_on IS NULL))
)
