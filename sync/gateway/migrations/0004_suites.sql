-- The cipher suite pinned at enrolment (1 = the international suite every earlier key used).
ALTER TABLE server_keys ADD COLUMN suite INTEGER NOT NULL DEFAULT 1;
ALTER TABLE stations ADD COLUMN suite INTEGER NOT NULL DEFAULT 1;
ALTER TABLE station_keys ADD COLUMN suite INTEGER NOT NULL DEFAULT 1;
