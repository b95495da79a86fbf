-- Transactional outbox: registry changes are written here in the same transaction as the
-- change itself, then published to the compacted `registry` topic and marked published.
CREATE TABLE IF NOT EXISTS registry_outbox (
    seq          bigserial PRIMARY KEY,
    key          text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS registry_outbox_pending ON registry_outbox (seq)
    WHERE published_at IS NULL
