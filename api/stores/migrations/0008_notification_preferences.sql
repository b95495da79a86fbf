-- How each staff account wants alert notifications: channels, addresses, quiet hours
-- (Beijing time; a quiet period may run past midnight, e.g. 22:00-07:00).
CREATE TABLE notification_preferences (
    user_id     bigint PRIMARY KEY REFERENCES users (user_id),
    channels    text[] NOT NULL DEFAULT '{}'
                CHECK (channels <@ ARRAY['email', 'sms']::text[]),
    email       text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    phone       text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    quiet_start time,
    quiet_end   time,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
