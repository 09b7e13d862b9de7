-- Refused-frame allowances shared by every worker (sync/gateway/limits.py, SharedRateLimiter):
-- one counter per client and fixed window. `win` is the window's number (seconds // length).
CREATE TABLE rate_windows (
    who TEXT NOT NULL, win INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (who, win));
