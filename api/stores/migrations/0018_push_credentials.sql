-- The credentials a terminal that calls ingest sends (Hikvision HTTP listening: Basic or
-- digest, set on the terminal with the host); kept, never shown again or published.
ALTER TABLE devices ADD COLUMN push_username text CHECK (length(push_username) BETWEEN 1 AND 64);
ALTER TABLE devices ADD COLUMN push_password text CHECK (length(push_password) BETWEEN 8 AND 128);
