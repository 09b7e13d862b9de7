-- Every station's pull asks whether any application is due for production or shipping
-- (sync/gateway/production.py, DUE_SQL): answered from this index, not a scan of every application.
CREATE INDEX applications_state ON applications (state, produce_at, ship_at);
