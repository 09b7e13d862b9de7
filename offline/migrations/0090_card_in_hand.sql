-- Cards in hand (R-HLD-1..3): a formal card the station did not know, read from the reader and
-- authenticated, became a local holder record awaiting the card management system's verdict.
-- Area: holders (offline/services/card_in_hand.py). One row per adopted card.
-- state: pending (待卡管核实) | confirmed | corrected | refused
CREATE TABLE card_in_hand (
    card_id      INTEGER PRIMARY KEY REFERENCES cards(id),
    person_id    INTEGER NOT NULL REFERENCES persons(id),
    card_number  TEXT NOT NULL UNIQUE,
    business_id  INTEGER NOT NULL REFERENCES businesses(id),
    new_person   INTEGER NOT NULL DEFAULT 0,   -- 1 when the holder record itself came from the chip
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'confirmed', 'corrected', 'refused')),
    reason       TEXT NOT NULL DEFAULT '',     -- the card management system's words (corrected/refused)
    adopted_at   TEXT NOT NULL,
    resolved_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX card_in_hand_state ON card_in_hand(state);
CREATE INDEX card_in_hand_person ON card_in_hand(person_id);
