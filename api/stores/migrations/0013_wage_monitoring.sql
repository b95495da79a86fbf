-- Wage monitoring: a project's own pay day (工资发放日), overriding its region's, and the
-- orange level (橙色) of the arrears bands.
ALTER TABLE projects ADD COLUMN pay_day smallint CHECK (pay_day BETWEEN 1 AND 28);

ALTER TABLE alerts DROP CONSTRAINT alerts_severity_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_severity_check
    CHECK (severity IN ('warning', 'major', 'critical'));
