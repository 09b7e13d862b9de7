-- Core schema of a station store. Text dates are ISO 8601 local time with offset.
-- Money is integer fen (分). JSON columns hold no PIN digits, ever (R-PIN-6).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- R-SEC-2, R-ID-6: individual, named accounts.
CREATE TABLE operators (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    real_name       TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'auditor', 'admin')),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    revoked_reason  TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators(id),
    origin       TEXT NOT NULL DEFAULT '',   -- tty name or SSH client address
    pid          INTEGER,
    started_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT,
    end_reason   TEXT
);
CREATE INDEX sessions_open ON sessions(ended_at);

CREATE TABLE persons (
    id                INTEGER PRIMARY KEY,
    ssn               TEXT NOT NULL UNIQUE,       -- social security number (R-ID-3)
    name              TEXT NOT NULL,
    name_initials     TEXT NOT NULL DEFAULT '',   -- pinyin initials, for search
    name_rare         INTEGER NOT NULL DEFAULT 0, -- R-APP-6: not representable in GBK / PUA
    sex               TEXT NOT NULL,              -- GB/T 2261.1: 1, 2, 9
    ethnicity         TEXT NOT NULL DEFAULT '01', -- GB 3304
    nationality       TEXT NOT NULL DEFAULT 'CHN',-- ISO 3166-1 alpha-3
    birth_date        TEXT NOT NULL,              -- YYYY-MM-DD
    occupation        TEXT NOT NULL DEFAULT '',
    doc_type          TEXT NOT NULL,
    doc_number        TEXT NOT NULL,
    doc_valid_from    TEXT NOT NULL DEFAULT '',
    doc_valid_to      TEXT NOT NULL DEFAULT '',   -- '' = 长期
    household_address TEXT NOT NULL DEFAULT '',
    residence_address TEXT NOT NULL DEFAULT '',
    mailing_address   TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    region            TEXT NOT NULL DEFAULT '',   -- home region of the insurance relation (GB/T 2260)
    status            TEXT NOT NULL DEFAULT 'active', -- active | deceased | abroad | closed
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX persons_name ON persons(name);
CREATE INDEX persons_initials ON persons(name_initials);
CREATE INDEX persons_doc ON persons(doc_number);

CREATE TABLE photos (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id),
    jpeg      BLOB NOT NULL,
    sha256    TEXT NOT NULL,
    taken_at  TEXT NOT NULL
);

CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES persons(id),
    business_id     INTEGER NOT NULL REFERENCES businesses(id),
    kind            TEXT NOT NULL,  -- first | replace | exchange
    channel         TEXT NOT NULL,  -- local | remote | proxy_person | proxy_unit | batch | online
    mode            TEXT NOT NULL,  -- instant | fast | batch   (R-APP-5)
    bank            TEXT NOT NULL,  -- R-APP-4
    status          TEXT NOT NULL,  -- accepted | approved | rejected | produced | shipped | arrived | issued | cancelled
    route           TEXT NOT NULL DEFAULT 'local',  -- local | provincial (R-APP-6 rare characters)
    deadline        TEXT NOT NULL DEFAULT '',       -- production deadline (working days, R-APP-5)
    reject_reason   TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX applications_person ON applications(person_id);
CREATE INDEX applications_status ON applications(status);

-- Formal cards. status: see offline/lifecycle.py (R-ISS, R-LOSS, R-CAN).
CREATE TABLE cards (
    id                   INTEGER PRIMARY KEY,
    person_id            INTEGER NOT NULL REFERENCES persons(id),
    application_id       INTEGER REFERENCES applications(id),
    card_number          TEXT NOT NULL UNIQUE,
    card_id_code         TEXT NOT NULL DEFAULT '',
    bank                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    social_active        INTEGER NOT NULL DEFAULT 0,   -- R-PIN-1 social-security function activated
    pin_locked           INTEGER NOT NULL DEFAULT 0,
    cartoon              INTEGER NOT NULL DEFAULT 0,   -- R-APP-2 child's cartoon card
    issue_date           TEXT NOT NULL DEFAULT '',
    expiry_date          TEXT NOT NULL DEFAULT '',
    produced_at          TEXT NOT NULL DEFAULT '',
    arrived_at           TEXT NOT NULL DEFAULT '',     -- R-ISS-1 signed in at this station
    contact_deadline     TEXT NOT NULL DEFAULT '',     -- R-ISS-2
    contacted_at         TEXT NOT NULL DEFAULT '',
    issued_at            TEXT NOT NULL DEFAULT '',
    unit_collected_at    TEXT NOT NULL DEFAULT '',     -- R-ISS-6 sleeping cards
    stock_slot           TEXT NOT NULL DEFAULT '',
    loss_reported_at     TEXT NOT NULL DEFAULT '',
    loss_expires_at      TEXT NOT NULL DEFAULT '',     -- R-LOSS-2
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX cards_person ON cards(person_id);
CREATE INDEX cards_status ON cards(status);

CREATE TABLE card_moves (
    id          INTEGER PRIMARY KEY,
    card_id     INTEGER NOT NULL REFERENCES cards(id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    business_id INTEGER REFERENCES businesses(id),
    at          TEXT NOT NULL
);
CREATE INDEX card_moves_card ON card_moves(card_id);

-- Temporary cards and their stock cycle (R-TMP-5).
CREATE TABLE temp_cards (
    id           INTEGER PRIMARY KEY,
    card_number  TEXT NOT NULL UNIQUE,
    card_id_code TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    person_id    INTEGER REFERENCES persons(id),
    valid_until  TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE INDEX temp_cards_state ON temp_cards(state);

CREATE TABLE temp_card_moves (
    id           INTEGER PRIMARY KEY,
    temp_card_id INTEGER NOT NULL REFERENCES temp_cards(id),
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    business_id  INTEGER REFERENCES businesses(id),
    operator_id  INTEGER REFERENCES operators(id),
    at           TEXT NOT NULL
);

-- One row per committed business (R-SEC-3). details: JSON, never PIN digits.
CREATE TABLE businesses (
    id          INTEGER PRIMARY KEY,
    receipt_no  TEXT NOT NULL UNIQUE,  -- 受理编号: service point (17) + YYYYMMDD + serial (5)
    item        TEXT NOT NULL,          -- service item code, offline/services/registry.py
    person_id   INTEGER REFERENCES persons(id),
    card_id     INTEGER REFERENCES cards(id),
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    session_id  TEXT,
    at          TEXT NOT NULL,
    fee_fen     INTEGER NOT NULL DEFAULT 0,
    summary     TEXT NOT NULL DEFAULT '',  -- Chinese one-liner for lists and receipts
    details     TEXT NOT NULL DEFAULT '{}',
    remote_status TEXT NOT NULL DEFAULT '',  -- what the card management system said (downlink)
    remote_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX businesses_person ON businesses(person_id);
CREATE INDEX businesses_at ON businesses(at);

CREATE TABLE receipt_counters (
    day  TEXT PRIMARY KEY,   -- YYYYMMDD
    last INTEGER NOT NULL
);

-- Hash-chained audit (R-SEC-3). hash = sha256(prev_hash || canonical row).
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    operator_id INTEGER,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

-- Transactional outbox. seq is the station's envelope sequence number.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY,
    envelope_id     TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    business_id     INTEGER REFERENCES businesses(id),
    parent_id       TEXT,             -- a blob's business envelope id
    envelope        BLOB NOT NULL,    -- sealed bytes as sent
    payload         BLOB,             -- plaintext kept only until acknowledged, to re-seal after key rotation
    compress        INTEGER NOT NULL DEFAULT 1,
    size            INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | sending | acked | quarantined | conflict
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    lease_until     TEXT NOT NULL DEFAULT '',        -- a 'sending' state expires (never sticks)
    last_error      TEXT NOT NULL DEFAULT '',
    reason_code     TEXT NOT NULL DEFAULT '',
    ack             TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    acked_at        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_state ON outbox(state, seq);
CREATE INDEX outbox_business ON outbox(business_id);

-- Downlink updates applied (each once), and the cursor lives in settings('downlink_cursor').
CREATE TABLE inbox (
    update_id  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    outcome    TEXT NOT NULL DEFAULT ''
);

-- Per-operator form drafts: a dropped SSH session loses nothing typed.
CREATE TABLE drafts (
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    form        TEXT NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (operator_id, form)
);

-- Write-intent journal for chip writes: resolved on the next insert, never guessed.
CREATE TABLE card_write_journal (
    id          INTEGER PRIMARY KEY,
    card_number TEXT NOT NULL,
    op          TEXT NOT NULL,      -- personalise | erase | home_region
    intent      TEXT NOT NULL,      -- JSON of what should be on the card afterwards
    state       TEXT NOT NULL DEFAULT 'pending',  -- pending | done | abandoned
    operator_id INTEGER,
    started_at  TEXT NOT NULL,
    resolved_at TEXT NOT NULL DEFAULT '',
    resolution  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX card_write_journal_pending ON card_write_journal(state);

-- Working-day calendar overrides (downlink or profile updates beyond the library's years).
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,    -- YYYY-MM-DD
    is_workday INTEGER NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT ''
);
