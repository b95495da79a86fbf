-- Every pass event. ReplacingMergeTree keyed by event_id: a replayed event never counts
-- twice once merged, and queries that must be exact read with FINAL.
CREATE TABLE IF NOT EXISTS gate_passes (
    event_id     String,
    device_id    String,
    project_id   String,
    worker_id    Nullable(String),
    direction    Enum8('in' = 1, 'out' = 2, 'unknown' = 3),
    method       Enum8('face' = 1, 'card' = 2, 'qr' = 3, 'mobile' = 4),
    occurred_at  DateTime,
    received_at  DateTime,
    score        Nullable(Float32),
    snapshot_ref String,
    inserted_at  DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (project_id, event_id)
