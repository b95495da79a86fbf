-- Per-device rate limit (requests a minute); NULL: SITEPULSE_DEVICE_REQUESTS_PER_MINUTE.
ALTER TABLE devices ADD COLUMN requests_per_minute integer
    CHECK (requests_per_minute BETWEEN 1 AND 100000);
