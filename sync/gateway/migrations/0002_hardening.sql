-- Retired station keys keep an end of overlap; envelope ids are scoped per station (one station
-- can never make another's id a conflict); partial uploads belong to a station and are appended
-- in chunks (the unowned ones are dropped: their stations resume from 0); outcomes are counted
-- per hour, code and station.
ALTER TABLE station_keys ADD COLUMN retire_at TEXT NOT NULL DEFAULT '';
CREATE TABLE envelopes_v2 (
    envelope_id TEXT NOT NULL, station_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
    sealed_digest TEXT NOT NULL, plain_digest TEXT NOT NULL, size INTEGER NOT NULL, sealed BLOB NOT NULL,
    payload BLOB NOT NULL, received_at TEXT NOT NULL, ack TEXT NOT NULL,
    PRIMARY KEY (station_id, envelope_id), UNIQUE (station_id, seq));
INSERT INTO envelopes_v2 (envelope_id, station_id, seq, kind, sealed_digest, plain_digest, size, sealed,
    payload, received_at, ack)
    SELECT envelope_id, station_id, seq, kind, sealed_digest, plain_digest, size, sealed,
    payload, received_at, ack FROM envelopes;
DROP TABLE envelopes;
ALTER TABLE envelopes_v2 RENAME TO envelopes;
DROP TABLE partials;
CREATE TABLE blob_partials (
    station_id TEXT NOT NULL, envelope_id TEXT NOT NULL, total INTEGER NOT NULL,
    received INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (station_id, envelope_id));
CREATE TABLE blob_chunks (
    station_id TEXT NOT NULL, envelope_id TEXT NOT NULL, "offset" INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (station_id, envelope_id, "offset"));
CREATE TABLE event_counts (
    hour TEXT NOT NULL, code TEXT NOT NULL, station_id TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (hour, code, station_id));
INSERT INTO event_counts (hour, code, station_id, n)
    SELECT substr(at, 1, 13), code, station_id, COUNT(*) FROM events GROUP BY substr(at, 1, 13), code, station_id;
