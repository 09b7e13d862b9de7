-- The card-holder catalogue (roster) the stations download for their area (sync/gateway/catalogue.py).
CREATE TABLE holders (
    ssn TEXT PRIMARY KEY, name TEXT NOT NULL, sex TEXT NOT NULL, ethnicity TEXT NOT NULL,
    birth_date TEXT NOT NULL, doc_type TEXT NOT NULL, doc_number TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', region TEXT NOT NULL,
    person_status TEXT NOT NULL DEFAULT 'active', version INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX holders_region ON holders (region);
CREATE TABLE holder_cards (
    card_number TEXT PRIMARY KEY, ssn TEXT NOT NULL, status TEXT NOT NULL, spec_version TEXT NOT NULL DEFAULT '',
    bank TEXT NOT NULL, issue_date TEXT NOT NULL DEFAULT '', expiry_date TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX holder_cards_ssn ON holder_cards (ssn);
CREATE TABLE station_areas (
    station_id TEXT NOT NULL, prefix TEXT NOT NULL, PRIMARY KEY (station_id, prefix));
CREATE TABLE roster_snapshots (
    snapshot_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, version INTEGER NOT NULL, rows INTEGER NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX roster_snapshots_station ON roster_snapshots (station_id, version);
