-- Bank-change requests awaiting the card centre's reply (HN 24(3)-(4), sync/gateway/flows.py).
-- IF NOT EXISTS: a store from before versioned migrations may have created it on first use.
CREATE TABLE IF NOT EXISTS bank_changes (
    receipt_no TEXT PRIMARY KEY, station_id TEXT NOT NULL, ssn TEXT NOT NULL, card_number TEXT NOT NULL,
    old_bank TEXT NOT NULL, new_bank TEXT NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL,
    decided_at TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
