-- Safety training (安全培训). Owner: api/stores/training.py.
-- A project's courses: what to learn, for how long, and whether a worker must have
-- completed it before the project's terminals let them in (gate_roster below).
CREATE TABLE IF NOT EXISTS training_courses (
    course_id          bigserial PRIMARY KEY,
    project_id         text NOT NULL REFERENCES projects (project_id),
    title_zh           text NOT NULL,
    content_zh         text NOT NULL,
    required_minutes   integer NOT NULL CHECK (required_minutes BETWEEN 1 AND 600),
    required_for_access boolean NOT NULL DEFAULT false,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    withdrawn_at       timestamptz
);
CREATE INDEX IF NOT EXISTS training_courses_of_project ON training_courses (project_id);

-- Each time a worker starts a course: the face check at the start, and how it ended
-- (completed with a face check at the end, or abandoned when the page left the front).
CREATE TABLE IF NOT EXISTS training_sessions (
    session_id     bigserial PRIMARY KEY,
    course_id      bigint NOT NULL REFERENCES training_courses (course_id),
    worker_id      bigint NOT NULL REFERENCES workers (worker_id),
    state          text NOT NULL DEFAULT 'watching'
                   CHECK (state IN ('watching', 'completed', 'abandoned')),
    started_at     timestamptz NOT NULL DEFAULT now(),
    start_score    real NOT NULL,
    ended_at       timestamptz,
    end_score      real,
    abandon_reason text
);
CREATE INDEX IF NOT EXISTS training_sessions_of_worker ON training_sessions (worker_id, course_id);
CREATE UNIQUE INDEX IF NOT EXISTS training_completed_once
    ON training_sessions (course_id, worker_id) WHERE state = 'completed';

-- Who a project's terminals must hold: its active roster, less the workers who have not
-- completed every course the project requires for access.
CREATE OR REPLACE VIEW gate_roster AS
SELECT DISTINCT m.project_id, m.worker_id FROM memberships m
WHERE m.status = 'active' AND NOT EXISTS (
    SELECT 1 FROM training_courses c
    WHERE c.project_id = m.project_id AND c.required_for_access AND c.withdrawn_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM training_sessions s WHERE s.course_id = c.course_id
                      AND s.worker_id = m.worker_id AND s.state = 'completed'));
