-- Face enrolment: 1 to 5 SFace embeddings per worker (128 float32, little-endian: 512
-- bytes). The photos themselves are not kept; re-enrolment replaces every row.
CREATE TABLE face_enrolments (
    worker_id   bigint NOT NULL REFERENCES workers (worker_id),
    photo_no    smallint NOT NULL CHECK (photo_no BETWEEN 1 AND 5),
    embedding   bytea NOT NULL CHECK (length(embedding) = 512),
    model       text NOT NULL,
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    enrolled_by text NOT NULL,
    PRIMARY KEY (worker_id, photo_no)
);
