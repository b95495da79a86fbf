-- Mobile clock-in (移动考勤打卡). Owner: api/stores/mobile_clock_ins.py.
-- A project's fence: a circle (centre, radius) or a polygon of [latitude, longitude]
-- corners, WGS-84 as phones locate themselves; and how precise a location must be.
CREATE TABLE IF NOT EXISTS project_geofences (
    project_id     text PRIMARY KEY REFERENCES projects (project_id),
    enabled        boolean NOT NULL DEFAULT true,
    center_lat     double precision CHECK (center_lat BETWEEN -90 AND 90),
    center_lng     double precision CHECK (center_lng BETWEEN -180 AND 180),
    radius_m       integer CHECK (radius_m BETWEEN 20 AND 5000),
    polygon        jsonb,
    max_accuracy_m integer NOT NULL DEFAULT 50 CHECK (max_accuracy_m BETWEEN 5 AND 500),
    updated_by     text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (polygon IS NOT NULL OR (center_lat IS NOT NULL AND center_lng IS NOT NULL
                                   AND radius_m IS NOT NULL))
);

-- Every accepted clock-in; each also became a pass (method 'mobile') on gate.passes.
CREATE TABLE IF NOT EXISTS mobile_clock_ins (
    clock_in_id bigserial PRIMARY KEY,
    worker_id   bigint NOT NULL REFERENCES workers (worker_id),
    project_id  text NOT NULL REFERENCES projects (project_id),
    direction   text NOT NULL CHECK (direction IN ('in', 'out')),
    event_id    text NOT NULL UNIQUE,
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    accuracy_m  real NOT NULL,
    face_score  real NOT NULL,
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS mobile_clock_ins_latest ON mobile_clock_ins (worker_id, project_id, created_at DESC);
