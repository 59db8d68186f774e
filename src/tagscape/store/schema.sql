-- tagscape collection store, schema version 1. SQLite is the source of truth; the arrays
-- under arrays/ are derived from the `layers` table and rebuilt when stale.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per audio file (or MTG-Jamendo track). `present` = 0 once the file is gone.
CREATE TABLE IF NOT EXISTS tracks (
    track_id     INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,      -- relative path, or the Jamendo TRACK_ID
    path         TEXT,                      -- relative to the collection root / audio root
    url          TEXT,                      -- where to stream it from, when remote
    size         INTEGER,
    mtime        REAL,
    content_hash TEXT,
    duration     REAL,                      -- seconds, from the file's header or the list
    title        TEXT,
    artist       TEXT,
    album        TEXT,
    genre        TEXT,
    year         INTEGER,
    tracknumber  INTEGER,
    present      INTEGER NOT NULL DEFAULT 1,
    indexed_at   REAL NOT NULL
);

-- Every other tag of a track: file tags, or typed Jamendo tags (kind 'genre', 'instrument', ...).
CREATE TABLE IF NOT EXISTS track_tags (
    track_id INTEGER NOT NULL REFERENCES tracks(track_id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (track_id, kind, value)
);

-- A model's results for one track; written in the same transaction as its layers.
CREATE TABLE IF NOT EXISTS results (
    track_id        INTEGER NOT NULL REFERENCES tracks(track_id) ON DELETE CASCADE,
    model_id        TEXT NOT NULL,
    content_hash    TEXT,
    n_segments      INTEGER NOT NULL,
    segment_seconds REAL NOT NULL,
    created_at      REAL NOT NULL,
    PRIMARY KEY (track_id, model_id)
);

CREATE TABLE IF NOT EXISTS layers (
    track_id INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    layer    TEXT NOT NULL,
    n_rows   INTEGER NOT NULL,
    n_cols   INTEGER NOT NULL,
    data     BLOB NOT NULL,                 -- little-endian float16, row-major
    PRIMARY KEY (model_id, layer, track_id),
    FOREIGN KEY (track_id, model_id) REFERENCES results(track_id, model_id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS failures (
    track_id     INTEGER NOT NULL REFERENCES tracks(track_id) ON DELETE CASCADE,
    model_id     TEXT NOT NULL,
    content_hash TEXT,
    reason       TEXT NOT NULL,
    failed_at    REAL NOT NULL,
    PRIMARY KEY (track_id, model_id)
);

-- Bumped in every transaction that changes a model's results: the arrays' staleness stamp.
CREATE TABLE IF NOT EXISTS model_versions (
    model_id TEXT PRIMARY KEY,
    version  INTEGER NOT NULL
);
