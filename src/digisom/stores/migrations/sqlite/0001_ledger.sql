-- The ledger's tables in SQLite.
--
-- u128 values (ids, amounts, balances, user_data_128) are 16-byte big-endian BLOBs:
-- at a fixed width, byte order is numeric order, so ORDER BY, <= and = on the blobs
-- mean what they say. u64 values (user_data_64) are 8-byte big-endian BLOBs, because
-- an SQLite INTEGER is signed 64-bit. Timestamps are nanoseconds below 2^63: INTEGER.
--
-- The CHECKs repeat the engine's rules as a second line of defence. The balance-flag
-- CHECKs need `u128_add(a, b)`, a deterministic function that every connection opened
-- by `digisom.stores.sqlite` registers (NULL on overflow, which fails the CHECK).

CREATE TABLE accounts (
    id BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    ledger INTEGER NOT NULL CHECK (ledger BETWEEN 0 AND 4294967295),
    code INTEGER NOT NULL CHECK (code BETWEEN 0 AND 65535),
    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
    user_data_128 BLOB NOT NULL CHECK (length(user_data_128) = 16),
    user_data_64 BLOB NOT NULL CHECK (length(user_data_64) = 8),
    user_data_32 INTEGER NOT NULL CHECK (user_data_32 BETWEEN 0 AND 4294967295),
    debits_pending BLOB NOT NULL CHECK (length(debits_pending) = 16),
    debits_posted BLOB NOT NULL CHECK (length(debits_posted) = 16),
    credits_pending BLOB NOT NULL CHECK (length(credits_pending) = 16),
    credits_posted BLOB NOT NULL CHECK (length(credits_posted) = 16),
    timestamp INTEGER NOT NULL UNIQUE CHECK (timestamp > 0),
    -- flags bit 1: debits_must_not_exceed_credits
    -- When one addend is zero the sum is the other one, so the Python function is only
    -- called for accounts that have both pending and posted debits (or credits).
    CONSTRAINT debits_must_not_exceed_credits CHECK (
        (flags & 2) = 0 OR CASE
            WHEN debits_pending = zeroblob(16) THEN debits_posted <= credits_posted
            WHEN debits_posted = zeroblob(16) THEN debits_pending <= credits_posted
            ELSE coalesce(u128_add(debits_pending, debits_posted) <= credits_posted, 0)
        END
    ),
    -- flags bit 2: credits_must_not_exceed_debits
    CONSTRAINT credits_must_not_exceed_debits CHECK (
        (flags & 4) = 0 OR CASE
            WHEN credits_pending = zeroblob(16) THEN credits_posted <= debits_posted
            WHEN credits_posted = zeroblob(16) THEN credits_pending <= debits_posted
            ELSE coalesce(u128_add(credits_pending, credits_posted) <= debits_posted, 0)
        END
    )
) STRICT, WITHOUT ROWID;

-- Keyed by timestamp (the rowid: unique, strictly increasing), unlike the other tables:
-- rows append at the end of the table, the history indexes carry an 8-byte key rather
-- than the 16-byte id, and the timestamp needs no index of its own. The id is UNIQUE.
CREATE TABLE transfers (
    id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
    debit_account_id BLOB NOT NULL REFERENCES accounts (id) CHECK (length(debit_account_id) = 16),
    credit_account_id BLOB NOT NULL REFERENCES accounts (id) CHECK (length(credit_account_id) = 16),
    amount BLOB NOT NULL CHECK (length(amount) = 16),
    ledger INTEGER NOT NULL CHECK (ledger BETWEEN 1 AND 4294967295),
    code INTEGER NOT NULL CHECK (code BETWEEN 1 AND 65535),
    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
    pending_id BLOB NOT NULL CHECK (length(pending_id) = 16),
    timeout_s INTEGER NOT NULL CHECK (timeout_s BETWEEN 0 AND 4294967295),
    user_data_128 BLOB NOT NULL CHECK (length(user_data_128) = 16),
    user_data_64 BLOB NOT NULL CHECK (length(user_data_64) = 8),
    user_data_32 INTEGER NOT NULL CHECK (user_data_32 BETWEEN 0 AND 4294967295),
    timestamp INTEGER NOT NULL PRIMARY KEY CHECK (timestamp > 0),
    CONSTRAINT accounts_must_be_different CHECK (debit_account_id <> credit_account_id)
) STRICT;

-- Pages of one account's history, in timestamp order: an index entry ends with the
-- rowid, which is the timestamp, so these are (account, timestamp) indexes.
CREATE INDEX transfers_by_debit_account ON transfers (debit_account_id);
CREATE INDEX transfers_by_credit_account ON transfers (credit_account_id);

CREATE TABLE pendings (
    id BLOB NOT NULL PRIMARY KEY REFERENCES transfers (id),
    debit_account_id BLOB NOT NULL CHECK (length(debit_account_id) = 16),
    credit_account_id BLOB NOT NULL CHECK (length(credit_account_id) = 16),
    amount BLOB NOT NULL CHECK (length(amount) = 16),
    ledger INTEGER NOT NULL CHECK (ledger BETWEEN 1 AND 4294967295),
    code INTEGER NOT NULL CHECK (code BETWEEN 1 AND 65535),
    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
    expires_at INTEGER NOT NULL CHECK (expires_at >= 0),
    state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 4)
) STRICT, WITHOUT ROWID;

-- Only live pendings with a deadline: the expiry sweep reads the head of this index.
CREATE INDEX pendings_due ON pendings (expires_at, id) WHERE state = 1 AND expires_at > 0;

CREATE TABLE failed_transfers (
    id BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    result INTEGER NOT NULL CHECK (result > 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE balances_history (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    timestamp INTEGER NOT NULL CHECK (timestamp > 0),
    debits_pending BLOB NOT NULL CHECK (length(debits_pending) = 16),
    debits_posted BLOB NOT NULL CHECK (length(debits_posted) = 16),
    credits_pending BLOB NOT NULL CHECK (length(credits_pending) = 16),
    credits_posted BLOB NOT NULL CHECK (length(credits_posted) = 16),
    PRIMARY KEY (account_id, timestamp)
) STRICT, WITHOUT ROWID;

-- Per ledger, debits equal credits: the double-entry invariant, checked by the database.
CREATE TABLE ledger_totals (
    ledger INTEGER NOT NULL PRIMARY KEY CHECK (ledger BETWEEN 1 AND 4294967295),
    debits_pending BLOB NOT NULL CHECK (length(debits_pending) = 16),
    debits_posted BLOB NOT NULL CHECK (length(debits_posted) = 16),
    credits_pending BLOB NOT NULL CHECK (length(credits_pending) = 16),
    credits_posted BLOB NOT NULL CHECK (length(credits_posted) = 16),
    CONSTRAINT debits_equal_credits CHECK (
        debits_pending = credits_pending AND debits_posted = credits_posted
    )
) STRICT, WITHOUT ROWID;

-- One record per committed batch; hash = sha256(prev_hash || payload).
CREATE TABLE journal (
    seq INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    payload BLOB NOT NULL
) STRICT;

-- The newest record's seq, hash and timestamp in one row, so head() and begin() are O(1).
CREATE TABLE journal_head (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    timestamp INTEGER NOT NULL CHECK (timestamp >= 0)
) STRICT;

INSERT INTO journal_head (singleton, seq, hash, timestamp) VALUES (1, 0, zeroblob(32), 0);
