-- The first gateway store: server and station keys, envelopes (ids global), partial uploads,
-- events, applications and the downlink feed. Written in SQLite's dialect; PostgreSQL gets it
-- translated (sync/gateway/pgdb.py, pg_ddl): one definition for both engines.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE server_keys (
    key_id TEXT PRIMARY KEY, purpose TEXT NOT NULL CHECK (purpose IN ('hpke', 'downlink')),
    private_key BLOB NOT NULL, public_key BLOB NOT NULL, created_at TEXT NOT NULL, not_after TEXT NOT NULL);
CREATE TABLE stations (
    station_id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE TABLE station_keys (
    station_id TEXT NOT NULL, key_id TEXT NOT NULL, public_key BLOB NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (station_id, key_id));
CREATE TABLE enrol_tokens (
    token_hash TEXT PRIMARY KEY, station_id TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT NOT NULL DEFAULT '');
CREATE TABLE envelopes (
    envelope_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
    sealed_digest TEXT NOT NULL, plain_digest TEXT NOT NULL, size INTEGER NOT NULL, sealed BLOB NOT NULL,
    payload BLOB NOT NULL, received_at TEXT NOT NULL, ack TEXT NOT NULL, UNIQUE (station_id, seq));
CREATE TABLE partials (
    envelope_id TEXT PRIMARY KEY, total INTEGER NOT NULL, data BLOB NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, code TEXT NOT NULL, station_id TEXT NOT NULL DEFAULT '',
    envelope_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE INDEX events_code ON events (code);
CREATE TABLE applications (
    receipt_no TEXT PRIMARY KEY, station_id TEXT NOT NULL, ssn TEXT NOT NULL, item TEXT NOT NULL,
    state TEXT NOT NULL, received_at TEXT NOT NULL, produce_at TEXT NOT NULL DEFAULT '',
    ship_at TEXT NOT NULL DEFAULT '', bank TEXT NOT NULL DEFAULT '', card_number TEXT NOT NULL DEFAULT '',
    card_id_code TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE INDEX applications_ssn ON applications (ssn, state);
CREATE TABLE updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL, update_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX updates_station ON updates (station_id, id);
