-- Pre-shift QR sign-in (班前签到). Owner: api/stores/qr_sign_ins.py.
-- A code's nonce signs one worker in once: a worker's personal code once in all, a
-- project's sign-in code once per worker.
CREATE TABLE IF NOT EXISTS qr_sign_ins (
    sign_in_id  bigserial PRIMARY KEY,
    worker_id   bigint NOT NULL REFERENCES workers (worker_id),
    project_id  text NOT NULL REFERENCES projects (project_id),
    code_nonce  text NOT NULL,
    scanned_by  text NOT NULL CHECK (scanned_by IN ('worker', 'officer')),
    actor       text NOT NULL,
    event_id    text NOT NULL UNIQUE,
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    accuracy_m  real NOT NULL,
    signed_in_at timestamptz NOT NULL,
    UNIQUE (code_nonce, worker_id)
);
CREATE INDEX IF NOT EXISTS qr_sign_ins_latest ON qr_sign_ins (worker_id, project_id, signed_in_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS qr_sign_ins_worker_code ON qr_sign_ins (code_nonce)
    WHERE scanned_by = 'officer';
