-- The registry: regions, enterprises, projects, teams, workers, memberships, users, audit.
CREATE TABLE IF NOT EXISTS regions (
    code        text PRIMARY KEY CHECK (code ~ '^[1-9][0-9]{5}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    level       text NOT NULL CHECK (level IN ('province', 'city', 'district')),
    parent_code text REFERENCES regions (code)
);

CREATE TABLE IF NOT EXISTS enterprises (
    enterprise_id bigserial PRIMARY KEY,
    credit_code   text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    kind          text NOT NULL
                  CHECK (kind IN ('general_contractor', 'subcontractor', 'labour_company')),
    region_code   text REFERENCES regions (code),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS projects (
    project_id         text PRIMARY KEY CHECK (project_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    permit_number      text,
    region_code        text NOT NULL REFERENCES regions (code),
    address            text NOT NULL DEFAULT '',
    latitude           double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude          double precision CHECK (longitude BETWEEN -180 AND 180),
    geofence_m         integer CHECK (geofence_m > 0),
    start_date         date,
    planned_completion date,
    briefing_date      date,
    status             text NOT NULL DEFAULT 'preparing'
                       CHECK (status IN ('preparing', 'active', 'suspended', 'completed')),
    wage_bank          text NOT NULL DEFAULT '',
    wage_account       text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (planned_completion IS NULL OR start_date IS NULL OR planned_completion >= start_date)
);

CREATE TABLE IF NOT EXISTS project_enterprises (
    project_id    text NOT NULL REFERENCES projects (project_id),
    enterprise_id bigint NOT NULL REFERENCES enterprises (enterprise_id),
    role          text NOT NULL
                  CHECK (role IN ('general_contractor', 'subcontractor', 'labour_company')),
    PRIMARY KEY (project_id, enterprise_id)
);

CREATE TABLE IF NOT EXISTS teams (
    team_id       bigserial PRIMARY KEY,
    project_id    text NOT NULL REFERENCES projects (project_id),
    enterprise_id bigint NOT NULL REFERENCES enterprises (enterprise_id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    kind          text NOT NULL CHECK (kind IN ('management', 'labour')),
    trade         text NOT NULL DEFAULT '',
    UNIQUE (project_id, name)
);

CREATE TABLE IF NOT EXISTS workers (
    worker_id   bigserial PRIMARY KEY,
    id_number   text NOT NULL UNIQUE CHECK (id_number ~ '^[1-9][0-9]{16}[0-9X]$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    gender      text NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date  date NOT NULL,
    ethnicity   text NOT NULL DEFAULT '',
    address     text NOT NULL DEFAULT '',
    phone       text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    trade       text NOT NULL DEFAULT '',
    photo_ref   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Search by the last characters of the ID number without scanning every row.
CREATE INDEX IF NOT EXISTS workers_id_suffix ON workers (right(id_number, 6));
CREATE INDEX IF NOT EXISTS workers_name ON workers (name);

CREATE TABLE IF NOT EXISTS memberships (
    membership_id bigserial PRIMARY KEY,
    worker_id     bigint NOT NULL REFERENCES workers (worker_id),
    project_id    text NOT NULL REFERENCES projects (project_id),
    team_id       bigint REFERENCES teams (team_id),
    entry_date    date NOT NULL,
    exit_date     date,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'exited')),
    CHECK ((status = 'exited') = (exit_date IS NOT NULL)),
    CHECK (exit_date IS NULL OR exit_date >= entry_date)
);
-- One active identity per ID number per project.
CREATE UNIQUE INDEX IF NOT EXISTS memberships_one_active
    ON memberships (worker_id, project_id) WHERE status = 'active';

CREATE TABLE IF NOT EXISTS users (
    user_id              bigserial PRIMARY KEY,
    login                text NOT NULL UNIQUE,
    password_hash        text NOT NULL,
    role                 text NOT NULL CHECK (role IN ('regulator', 'contractor_admin',
                         'labour_officer', 'subcontractor', 'worker')),
    scope_kind           text NOT NULL
                         CHECK (scope_kind IN ('region', 'enterprise', 'project', 'worker')),
    scope_id             text NOT NULL,
    worker_id            bigint REFERENCES workers (worker_id),
    must_change_password boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    disabled_at          timestamptz
);

CREATE TABLE IF NOT EXISTS audit_log (
    audit_id  bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id text NOT NULL,
    reason    text NOT NULL DEFAULT '',
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_entity ON audit_log (entity, entity_id)
