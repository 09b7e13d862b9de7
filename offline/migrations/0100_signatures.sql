-- Signature-pad images (HB 11, 13, 39; R-APP-8): the applicant's signature read from the folder
-- where the pad's vendor software saves it, kept with the business like the photo and printed in
-- the form's signature box. Area: signatures (offline/signatures.py). One row per business.
CREATE TABLE signatures (
    business_id INTEGER PRIMARY KEY REFERENCES businesses(id),
    person_id   INTEGER REFERENCES persons(id),
    image       BLOB NOT NULL,           -- PNG or JPEG as the pad wrote it (checked, never re-encoded)
    mime        TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg')),
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL DEFAULT '',  -- the pad's file name, for the record
    taken_at    TEXT NOT NULL
);
CREATE INDEX signatures_person ON signatures(person_id);
