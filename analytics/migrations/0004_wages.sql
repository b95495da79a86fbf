-- Wage analytics, fed from the payroll topic. Each fact carries a line's (or a sheet's)
-- whole state; the newest (highest outbox seq) wins when read with FINAL.
CREATE TABLE IF NOT EXISTS wage_lines (
    line_id       UInt64,
    sheet_id      UInt64,
    project_id    String,
    enterprise_id UInt64,
    month         Date,
    kind          String,
    worker_id     String,
    revision      UInt32,
    current       UInt8,
    days_worked   UInt8,
    amount_fen    Int64,
    status        String,
    paid_on       Nullable(Date),
    reason        String,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(month)
ORDER BY (project_id, month, line_id);

CREATE TABLE IF NOT EXISTS wage_sheets (
    sheet_id      UInt64,
    project_id    String,
    enterprise_id UInt64,
    month         Date,
    kind          String,
    state         String,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(month)
ORDER BY (project_id, month, sheet_id)
