-- People on the terminals (人员下发): the access card issued to a worker (发卡), the face
-- picture a terminal matches against (a small copy of the first enrolment photo), and, on
-- each queued command, the card and face it carries, so a changed card or a new enrolment
-- is sent again. A terminal knows a worker by the worker id (its person number: PIN,
-- employeeNo, UserID).
ALTER TABLE workers ADD COLUMN card_number text CHECK (card_number ~ '^[0-9A-Za-z]{4,32}$');
CREATE UNIQUE INDEX workers_by_card ON workers (card_number) WHERE card_number IS NOT NULL;

CREATE TABLE face_photos (
    worker_id bigint PRIMARY KEY REFERENCES workers (worker_id),
    photo     bytea NOT NULL CHECK (length(photo) BETWEEN 4 AND 262144),
    taken_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE device_commands ADD COLUMN card_number text;
ALTER TABLE device_commands ADD COLUMN face_at timestamptz;
