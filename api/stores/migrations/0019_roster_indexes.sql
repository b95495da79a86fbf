-- A project's roster is read by project (alert evaluation, rosters, terminals' 人员下发,
-- the overview's roster sizes): without this every read scanned all memberships.
CREATE INDEX IF NOT EXISTS memberships_by_project ON memberships (project_id, status);
CREATE INDEX IF NOT EXISTS memberships_by_team ON memberships (team_id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS device_commands_by_worker ON device_commands (device_id, worker_id, command_id);
