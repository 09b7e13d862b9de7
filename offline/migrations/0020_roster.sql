-- Holder roster (持卡人名册) from the card management system, and walk-ins awaiting its check.
-- Area: roster. Additive only: defaulted columns, older rows stay valid.

-- Where the record came from: '' = enrolled here, 'catalogue' = the area roster (snapshot or
-- downlink delta), 'walkin' = typed at the window for a holder the station did not know.
ALTER TABLE persons ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN source TEXT NOT NULL DEFAULT '';
-- The catalogue version last applied: an older snapshot row or delta never moves a record back.
ALTER TABLE persons ADD COLUMN catalogue_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN catalogue_version INTEGER NOT NULL DEFAULT 0;
-- 卡规范版本 of the card (from the roster).
ALTER TABLE cards ADD COLUMN spec_version TEXT NOT NULL DEFAULT '';
-- 待卡管核实: '' (nothing to check) | 'pending' | 'confirmed' | 'refused'.
ALTER TABLE persons ADD COLUMN verify_state TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN verify_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE businesses ADD COLUMN verify_state TEXT NOT NULL DEFAULT '';
CREATE INDEX businesses_verify ON businesses(verify_state);
