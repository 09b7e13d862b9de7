-- Card-side services (issuance, stock, temporary cards, losses, write-intent journal).
-- Additive only: new nullable/defaulted columns, so older rows stay valid.

-- R-ISS-2: how the station contacted the holder or unit.
ALTER TABLE cards ADD COLUMN contact_how TEXT NOT NULL DEFAULT '';
-- R-ISS-6: which unit collected the card for its members (sleeping-card candidates).
ALTER TABLE cards ADD COLUMN unit_name TEXT NOT NULL DEFAULT '';
-- R-ISS-3 / R-ISS-6: why a card went back for re-production or was cleared.
ALTER TABLE cards ADD COLUMN return_reason TEXT NOT NULL DEFAULT '';
-- R-LOSS-2: 1 when the temporary loss was reported verbally (phone, no document).
ALTER TABLE cards ADD COLUMN loss_verbal INTEGER NOT NULL DEFAULT 0;
-- R-LOSS-4: where the loss report came from ('station' | 'bank' | 'online').
ALTER TABLE cards ADD COLUMN loss_source TEXT NOT NULL DEFAULT '';

-- The business that finished a journalled chip write (never two for one journal entry).
ALTER TABLE card_write_journal ADD COLUMN business_id INTEGER REFERENCES businesses(id);
CREATE INDEX card_write_journal_card ON card_write_journal(card_number, state);
CREATE INDEX cards_loss_expiry ON cards(status, loss_expires_at);
