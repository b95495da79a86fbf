-- Accounts that hold: a token carries its account's token_version, bumped whenever the
-- account is disabled or its password or role changes, so older tokens end at once; an
-- initial password (set by registration or issued by an officer) ends at
-- password_expires_at until the person chooses their own.
ALTER TABLE users ADD COLUMN IF NOT EXISTS token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN IF NOT EXISTS password_expires_at timestamptz;
-- Worker accounts still on their initial password get the default 30 days from creation.
UPDATE users SET password_expires_at = created_at + interval '30 days'
    WHERE role = 'worker' AND must_change_password AND password_expires_at IS NULL;
