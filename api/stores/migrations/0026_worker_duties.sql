-- Employment confirmation (聘用信息确认, where the region asks): the worker's answer to one
-- roster entry's terms, with the terms as they stood; changed terms ask again.
-- Owner: api/stores/employment.py.
CREATE TABLE IF NOT EXISTS employment_answers (
    membership_id bigint PRIMARY KEY REFERENCES memberships (membership_id),
    worker_id     bigint NOT NULL REFERENCES workers (worker_id),
    terms         jsonb NOT NULL,
    answer        text NOT NULL CHECK (answer IN ('confirmed', 'disputed')),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    answered_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (answer = 'confirmed' OR length(note) > 0)
);

-- Health check institutions (体检机构) a regulator lists for the projects of their region
-- (``31`` covers Shanghai). Owner: api/stores/health_checks.py.
CREATE TABLE IF NOT EXISTS health_institutions (
    institution_id bigserial PRIMARY KEY,
    region_prefix  text NOT NULL CHECK (region_prefix ~ '^[0-9]{2,6}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    UNIQUE (region_prefix, name)
);

-- A worker's health checks (健康体检) as they recorded them; the latest counts.
-- Owner: api/stores/health_checks.py.
CREATE TABLE IF NOT EXISTS health_checks (
    check_id         bigserial PRIMARY KEY,
    worker_id        bigint NOT NULL REFERENCES workers (worker_id),
    institution_id   bigint REFERENCES health_institutions (institution_id),
    institution_name text NOT NULL CHECK (length(institution_name) BETWEEN 1 AND 64),
    examined_on      date NOT NULL,
    conclusion       text NOT NULL CHECK (conclusion IN ('fit', 'unfit')),
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS health_checks_latest ON health_checks (worker_id, check_id DESC);
