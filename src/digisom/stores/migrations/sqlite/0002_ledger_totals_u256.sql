-- A ledger's totals are sums over all of its accounts: every account stays within u128,
-- but their sum need not (two accounts each credited 2^128 - 1 already pass it). The
-- totals widen to u256, 32-byte big-endian blobs. Equality, the only comparison the
-- double-entry CHECK makes, still means what it says at a fixed width.

CREATE TABLE ledger_totals_u256 (
    ledger INTEGER NOT NULL PRIMARY KEY CHECK (ledger BETWEEN 1 AND 4294967295),
    debits_pending BLOB NOT NULL CHECK (length(debits_pending) = 32),
    debits_posted BLOB NOT NULL CHECK (length(debits_posted) = 32),
    credits_pending BLOB NOT NULL CHECK (length(credits_pending) = 32),
    credits_posted BLOB NOT NULL CHECK (length(credits_posted) = 32),
    CONSTRAINT debits_equal_credits CHECK (
        debits_pending = credits_pending AND debits_posted = credits_posted
    )
) STRICT, WITHOUT ROWID;

-- `||` joins the two blobs as text and CAST takes the bytes back unchanged: sixteen
-- zero bytes in front of each u128 make the same number as a u256.
INSERT INTO ledger_totals_u256 (ledger, debits_pending, debits_posted, credits_pending, credits_posted)
SELECT
    ledger,
    CAST(zeroblob(16) || debits_pending AS BLOB),
    CAST(zeroblob(16) || debits_posted AS BLOB),
    CAST(zeroblob(16) || credits_pending AS BLOB),
    CAST(zeroblob(16) || credits_posted AS BLOB)
FROM ledger_totals;

DROP TABLE ledger_totals;

ALTER TABLE ledger_totals_u256 RENAME TO ledger_totals;
