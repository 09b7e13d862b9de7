-- Door-to-door delivery runs (R-ISS-7, R-SEC-5): a list prepared at the station, worked offline
-- all day by a mobile service team, closed on return. Area: delivery (offline/delivery.py).

-- One run = one prepared list. state: open | closed.
CREATE TABLE delivery_runs (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    village      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    prepared_by  INTEGER NOT NULL REFERENCES operators(id),
    prepared_at  TEXT NOT NULL,
    closed_by    INTEGER REFERENCES operators(id),
    closed_at    TEXT NOT NULL DEFAULT '',
    close_business_id INTEGER REFERENCES businesses(id),
    counts       TEXT NOT NULL DEFAULT '{}'   -- JSON outcome -> count, written at closing
);
CREATE INDEX delivery_runs_state ON delivery_runs(state);

-- One card on a run, with the holder's data cached at preparation (name, address, phone, photo)
-- so the team needs nothing else on the road. outcome: pending | delivered | not_at_home |
-- refused | moved | returned (read-card test failed, R-ISS-3).
CREATE TABLE delivery_items (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES delivery_runs(id),
    card_id       INTEGER NOT NULL REFERENCES cards(id),
    person_id     INTEGER NOT NULL REFERENCES persons(id),
    position      INTEGER NOT NULL DEFAULT 0,
    card_number   TEXT NOT NULL,
    name          TEXT NOT NULL,
    sex           TEXT NOT NULL DEFAULT '',
    birth_date    TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    photo_sha256  TEXT NOT NULL DEFAULT '',
    photo         BLOB,                        -- copy of the holder's photo (face check at the door)
    category      TEXT NOT NULL DEFAULT '',    -- R-ISS-7: '' | retired | incapacitated | migrant
    received_at   TEXT NOT NULL DEFAULT '',    -- when the card was signed in (R-ISS-1)
    deadline      TEXT NOT NULL DEFAULT '',    -- R-ISS-7 / HN 28(8): delivery_workdays after receipt
    outcome       TEXT NOT NULL DEFAULT 'pending',
    recipient     TEXT NOT NULL DEFAULT '',    -- relation code of who took the card (holder, spouse ...)
    recipient_name TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    business_id   INTEGER REFERENCES businesses(id),
    UNIQUE (run_id, card_id)
);
CREATE INDEX delivery_items_run ON delivery_items(run_id, position);
CREATE INDEX delivery_items_card ON delivery_items(card_id, outcome);
