-- A worker's bound phone (绑定手机号), proven with an SMS code; it can then log in with it.
-- Owner: api/stores/worker_phones.py. Sealed (AES-GCM) at rest, found by a keyed digest.
CREATE TABLE IF NOT EXISTS worker_phones (
    worker_id    bigint PRIMARY KEY REFERENCES workers (worker_id),
    phone_sealed bytea NOT NULL,
    phone_digest text NOT NULL UNIQUE,
    phone_masked text NOT NULL,
    bound_at     timestamptz NOT NULL DEFAULT now()
);

-- Each version of the user agreement (用户协议) an account accepted, once.
-- Owner: api/stores/agreements.py.
CREATE TABLE IF NOT EXISTS user_agreements (
    user_id     bigint NOT NULL REFERENCES users (user_id),
    version     text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, version)
);
