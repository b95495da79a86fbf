-- Payroll (工资发放): banks, wage accounts (工资专户), security passwords, bank cards
-- (工资卡), payroll sheets (工资单) and their lines, bank returns (回盘), disputes (工资异议).
-- Nothing is deleted: corrections are new lines, a rebind ends the old card.

CREATE TABLE banks (
    bank_code text PRIMARY KEY CHECK (bank_code ~ '^[A-Z]{2,12}$'),
    name_zh   text NOT NULL
);
INSERT INTO banks (bank_code, name_zh) VALUES
    ('ICBC', '中国工商银行'), ('ABC', '中国农业银行'), ('BOC', '中国银行'),
    ('CCB', '中国建设银行'), ('BOCOM', '交通银行'), ('PSBC', '中国邮政储蓄银行');

-- Issuer identification numbers (the first six digits of a card) of debit cards; a partial
-- table of well-known ones, which a deployment extends with its banks' published BINs.
CREATE TABLE bank_bins (
    bin       text PRIMARY KEY CHECK (bin ~ '^[0-9]{6}$'),
    bank_code text NOT NULL REFERENCES banks (bank_code)
);
INSERT INTO bank_bins (bin, bank_code) VALUES
    ('622202', 'ICBC'), ('621226', 'ICBC'), ('621558', 'ICBC'),
    ('622848', 'ABC'), ('622845', 'ABC'),
    ('621661', 'BOC'), ('456351', 'BOC'),
    ('621700', 'CCB'), ('436742', 'CCB'), ('622700', 'CCB'),
    ('622260', 'BOCOM'), ('622262', 'BOCOM'),
    ('621799', 'PSBC'), ('622188', 'PSBC');

-- The banks a region accepts for wage payment (代发银行), by region-code prefix.
CREATE TABLE payroll_banks (
    region_prefix text NOT NULL CHECK (region_prefix ~ '^[0-9]{2,6}$'),
    bank_code     text NOT NULL REFERENCES banks (bank_code),
    PRIMARY KEY (region_prefix, bank_code)
);
INSERT INTO payroll_banks (region_prefix, bank_code) VALUES
    ('45', 'ICBC'), ('45', 'ABC'), ('45', 'BOC'), ('45', 'CCB'), ('45', 'PSBC'),
    ('11', 'ICBC'), ('11', 'ABC'), ('11', 'BOC'), ('11', 'CCB'), ('11', 'BOCOM');

-- Each payroll officer's own security password (安全密码), separate from the login one.
CREATE TABLE payroll_passwords (
    user_id       bigint PRIMARY KEY REFERENCES users (user_id),
    password_hash text NOT NULL,
    set_at        timestamptz NOT NULL DEFAULT now()
);

-- A project's wage account (工资专户), held by the general contractor.
CREATE TABLE wage_accounts (
    account_id       bigserial PRIMARY KEY,
    project_id       text NOT NULL UNIQUE REFERENCES projects (project_id),
    enterprise_id    bigint NOT NULL REFERENCES enterprises (enterprise_id),
    bank_code        text NOT NULL REFERENCES banks (bank_code),
    account_number   text NOT NULL CHECK (account_number ~ '^[0-9]{8,32}$'),
    account_name     text NOT NULL CHECK (length(account_name) BETWEEN 1 AND 128),
    opened_on        date NOT NULL,
    verification     text NOT NULL CHECK (verification IN ('bank_api', 'manual')),
    verified_by      text NOT NULL,
    verification_ref text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- A worker's wage cards: the number sealed (AES-GCM), a keyed digest to find it, the last
-- four digits to show. One card is active at a time; a rebind ends the old one.
CREATE TABLE bank_cards (
    card_id     bigserial PRIMARY KEY,
    worker_id   bigint NOT NULL REFERENCES workers (worker_id),
    bank_code   text NOT NULL REFERENCES banks (bank_code),
    card_sealed bytea NOT NULL,
    card_digest text NOT NULL,
    last4       text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    holder_name text NOT NULL,
    via         text NOT NULL CHECK (via IN ('bind', 'rebind')),
    face_score  real,
    bound_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    unbound_at  timestamptz,
    CHECK (unbound_at IS NULL OR unbound_at >= bound_at)
);
CREATE UNIQUE INDEX bank_cards_one_active ON bank_cards (worker_id) WHERE unbound_at IS NULL;
CREATE INDEX bank_cards_digest ON bank_cards (card_digest);

CREATE TABLE payroll_sheets (
    sheet_id           bigserial PRIMARY KEY,
    project_id         text NOT NULL REFERENCES projects (project_id),
    enterprise_id      bigint NOT NULL REFERENCES enterprises (enterprise_id),
    month              date NOT NULL CHECK (extract(day FROM month) = 1),
    kind               text NOT NULL CHECK (kind IN ('regular', 'supplementary')),
    parent_sheet_id    bigint REFERENCES payroll_sheets (sheet_id),
    account_id         bigint NOT NULL REFERENCES wage_accounts (account_id),
    state              text NOT NULL CHECK (state IN
                           ('draft', 'table', 'signed', 'sent', 'reconciled', 'partly_failed')),
    revision           integer NOT NULL DEFAULT 0,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    signed_by          text CHECK (signed_by IN ('scan', 'workers')),
    signed_file_sha256 text CHECK (signed_file_sha256 ~ '^[0-9a-f]{64}$'),
    signed_file_type   text,
    bank_profile       text,
    bank_file_sha256   text CHECK (bank_file_sha256 ~ '^[0-9a-f]{64}$'),
    sent_at            timestamptz,
    settled_at         timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'supplementary') = (parent_sheet_id IS NOT NULL))
);
CREATE UNIQUE INDEX payroll_sheets_one_regular ON payroll_sheets (project_id, enterprise_id, month)
    WHERE kind = 'regular';

-- The lines of a sheet's table. A new table (an upload, an edit) is a new revision; the
-- lines of older revisions stay, no longer current.
CREATE TABLE payroll_lines (
    line_id             bigserial PRIMARY KEY,
    sheet_id            bigint NOT NULL REFERENCES payroll_sheets (sheet_id),
    revision            integer NOT NULL,
    current             boolean NOT NULL DEFAULT true,
    worker_id           bigint NOT NULL REFERENCES workers (worker_id),
    card_id             bigint NOT NULL REFERENCES bank_cards (card_id),
    days_worked         integer NOT NULL CHECK (days_worked BETWEEN 0 AND 31),
    hours_worked        numeric(6, 1) NOT NULL CHECK (hours_worked BETWEEN 0 AND 744),
    amount              numeric(12, 2) NOT NULL CHECK (amount > 0 AND amount <= 100000),
    note                text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
    worker_confirmed_at timestamptz,
    paid_on             date,
    bank_ref            text,
    failure_reason      text,
    settled_at          timestamptz,
    retry_of_line_id    bigint REFERENCES payroll_lines (line_id)
);
CREATE UNIQUE INDEX payroll_lines_one_per_worker ON payroll_lines (sheet_id, worker_id) WHERE current;
CREATE INDEX payroll_lines_worker ON payroll_lines (worker_id) WHERE current;

-- Bank returns (回盘) imported, by the file's sha256: the same file twice changes nothing.
CREATE TABLE bank_returns (
    return_id   bigserial PRIMARY KEY,
    sheet_id    bigint NOT NULL REFERENCES payroll_sheets (sheet_id),
    file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    imported_by text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    paid        integer NOT NULL,
    failed      integer NOT NULL,
    UNIQUE (sheet_id, file_sha256)
);

-- A worker's dispute of a pay line (工资异议), answered by the officer.
CREATE TABLE pay_disputes (
    dispute_id  bigserial PRIMARY KEY,
    line_id     bigint NOT NULL REFERENCES payroll_lines (line_id),
    worker_id   bigint NOT NULL REFERENCES workers (worker_id),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    answer      text,
    answered_by text,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz
);

-- The outbox carries payroll facts too, for the payroll topic.
ALTER TABLE registry_outbox ADD COLUMN topic text NOT NULL DEFAULT 'registry';
