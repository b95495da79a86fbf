-- Regulators' own thresholds for their region (keyed by region prefix: 45, 4507, 450702),
-- overlaid on the built-in profiles. Each change bumps the version findings record.
CREATE TABLE alert_rule_overrides (
    region_prefix text PRIMARY KEY CHECK (region_prefix ~ '^[0-9]{2,6}$'),
    overrides     jsonb NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
