-- The worker app's inbox (消息通知): every notice a worker gets is kept here, read or not,
-- so nothing is lost when the app is closed. Owner: alerts/inbox.py.
CREATE TABLE IF NOT EXISTS worker_notices (
    notice_id  bigserial PRIMARY KEY,
    worker_id  bigint NOT NULL REFERENCES workers (worker_id),
    kind       text NOT NULL CHECK (kind IN ('wages', 'attendance', 'system')),
    -- What it is about, e.g. 'alert:12:opened': one notice per event however often sent.
    source     text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    title_zh   text NOT NULL CHECK (length(title_zh) BETWEEN 1 AND 200),
    body_zh    text NOT NULL DEFAULT '' CHECK (length(body_zh) <= 2000),
    project_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    UNIQUE (worker_id, source)
);
CREATE INDEX IF NOT EXISTS worker_notices_newest ON worker_notices (worker_id, notice_id DESC);

-- The kinds of notice a worker has turned off. Owner: alerts/inbox.py.
CREATE TABLE IF NOT EXISTS worker_notice_settings (
    worker_id  bigint PRIMARY KEY REFERENCES workers (worker_id),
    muted      text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Web Push subscriptions of the installed app (one per phone and browser), as the
-- browser's PushManager gives them. Owner: alerts/web_push.py.
CREATE TABLE IF NOT EXISTS push_subscriptions (
    subscription_id bigserial PRIMARY KEY,
    worker_id  bigint NOT NULL REFERENCES workers (worker_id),
    endpoint   text NOT NULL UNIQUE CHECK (length(endpoint) BETWEEN 1 AND 1000),
    p256dh     text NOT NULL,
    auth       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sent_at timestamptz,
    last_error text
);
CREATE INDEX IF NOT EXISTS push_subscriptions_by_worker ON push_subscriptions (worker_id);
