-- Failed logins for user names that are not accounts (R-SEC-2). Known accounts keep their
-- counter in operators.failed_attempts / locked_until; this table lets an unknown name lock
-- out exactly like a real one, so the login screen never reveals which names exist.
CREATE TABLE login_failures (
    username        TEXT PRIMARY KEY,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    last_at         TEXT NOT NULL
);
