-- One row per worker, project and local (Beijing) day, recomputed whenever a pass of that
-- day arrives, late ones included; the highest version wins (read with FINAL).
CREATE TABLE IF NOT EXISTS attendance_days (
    project_id      String,
    worker_id       String,
    day             Date,
    team_id         String,
    trade           String,
    first_in        Nullable(DateTime),
    last_out        Nullable(DateTime),
    seconds_on_site UInt32,
    sessions        UInt16,
    swipes          UInt16,
    repeats_dropped UInt16,
    flags           Array(String),
    on_site         UInt8,
    version         UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, worker_id);

-- Daily project figures kept by a materialized view over the raw passes. Exact-distinct
-- states make it idempotent: a replayed pass adds nothing. (Conditional counts use
-- if(..., event_id, NULL) rather than the -If combinator, whose state 18.16 cannot merge.)
CREATE MATERIALIZED VIEW IF NOT EXISTS project_daily
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day)
AS SELECT
    project_id,
    toDate(occurred_at, 'Asia/Shanghai') AS day,
    uniqExactState(event_id) AS passes,
    uniqExactState(worker_id) AS workers,
    uniqExactState(if(isNull(worker_id) AND method = 'face', event_id, NULL)) AS unknown_faces,
    uniqExactState(if(verification = 'mismatch', event_id, NULL)) AS mismatches
FROM gate_passes
GROUP BY project_id, day
