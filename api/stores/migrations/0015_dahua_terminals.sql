-- Terminals the platform connects to (Dahua: their event stream is held open from
-- ingest): where they are and their login (never shown again, never published).
ALTER TABLE devices ADD COLUMN address text CHECK (address ~ '^https?://[^\s]{1,200}$');
ALTER TABLE devices ADD COLUMN username text CHECK (length(username) BETWEEN 1 AND 64);
ALTER TABLE devices ADD COLUMN login_password text CHECK (length(login_password) <= 128);
