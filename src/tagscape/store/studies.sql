-- Listening studies (store version 3): what each trial plays, which model proposed each candidate,
-- and the raters' answers. Raters see only labels (A, B, ...); sources stay here.
CREATE TABLE IF NOT EXISTS studies (
    study_id     INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,   -- the raters' link; never a study id
    name         TEXT NOT NULL,
    layer        TEXT NOT NULL,
    models       TEXT NOT NULL,          -- JSON list of model ids
    clip_seconds REAL NOT NULL,
    seed         INTEGER NOT NULL,
    created_at   REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS study_trials (
    study_id        INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
    trial           INTEGER NOT NULL,
    reference_track INTEGER NOT NULL,
    reference_start REAL NOT NULL,
    PRIMARY KEY (study_id, trial)
);

CREATE TABLE IF NOT EXISTS study_candidates (
    study_id INTEGER NOT NULL,
    trial    INTEGER NOT NULL,
    label    TEXT NOT NULL,              -- what raters see, in the order shown
    track_id INTEGER NOT NULL,
    start    REAL NOT NULL,
    sources  TEXT NOT NULL,              -- JSON list: model ids that proposed it, and/or "control"
    PRIMARY KEY (study_id, trial, label),
    FOREIGN KEY (study_id, trial) REFERENCES study_trials(study_id, trial) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS study_answers (
    study_id    INTEGER NOT NULL,
    trial       INTEGER NOT NULL,
    rater       TEXT NOT NULL,           -- a pseudonym the rater chose
    choice      TEXT NOT NULL,           -- a candidate's label
    answered_at REAL NOT NULL,
    PRIMARY KEY (study_id, trial, rater),
    FOREIGN KEY (study_id, trial, choice) REFERENCES study_candidates(study_id, trial, label) ON DELETE CASCADE
);
