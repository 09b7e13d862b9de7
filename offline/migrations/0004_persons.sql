-- Person-side services: applications' extra columns, bank-change requests, search indexes.
-- Area: person services (applications, replacement/exchange, cancellation, changes, transfer, query).

-- Why the application exists beyond 'first' (R-REP-2 exchange reason code, R-INFO-1 'key_info_changed'),
-- which card it replaces (the old card stays valid until issuance of the new one cancels it),
-- whether the card is mailed (R-APP-6, online) and for which unit a batch was filed (R-APP-9).
ALTER TABLE applications ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN replaces_card_id INTEGER REFERENCES cards(id);
ALTER TABLE applications ADD COLUMN mailing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN unit_name TEXT NOT NULL DEFAULT '';
CREATE INDEX applications_business ON applications(business_id);

-- R-TRF-2 / HN 24: a bank change waits for the card centre's reply (within 5 working days),
-- which arrives by downlink; only then may the exchange be filed.
CREATE TABLE bank_change_requests (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id),
    card_id     INTEGER NOT NULL REFERENCES cards(id),
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    old_bank    TEXT NOT NULL,
    new_bank    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending | approved | rejected | used
    deadline    TEXT NOT NULL DEFAULT '',          -- reply expected by (working days)
    decided_at  TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX bank_change_person ON bank_change_requests(person_id, status);

-- Search (queries.search_persons) needs no new index: persons(name), persons(name_initials) and
-- persons(ssn) exist in 0001, cards(card_number) is UNIQUE. A test checks the plans.
