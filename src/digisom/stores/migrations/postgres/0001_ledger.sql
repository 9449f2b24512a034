-- The ledger's tables in PostgreSQL.
--
-- Ids and user_data_128 are 16-byte big-endian bytea: at a fixed width, byte order is
-- numeric order. Amounts and balances are NUMERIC(39,0) within [0, 2^128 - 1];
-- user_data_64 is NUMERIC(20,0) within [0, 2^64 - 1]; u32 fields are BIGINT, u16 INTEGER.
-- Timestamps are nanoseconds below 2^63: BIGINT.
--
-- The CHECKs repeat the engine's rules as a second line of defence. Foreign keys from
-- transfers to accounts are left out on purpose: PostgreSQL checks each with a per-row
-- trigger that runs a query and locks the account row, and with them a batch of 8,190
-- transfers took 2.8 times as long to commit. The engine and the verifier (audit)
-- check that accounts exist instead. SQLite keeps those foreign keys: they cost it ~8%.

CREATE DOMAIN id128 AS bytea CHECK (length(VALUE) = 16);
CREATE DOMAIN u128 AS numeric(39, 0) CHECK (VALUE >= 0 AND VALUE <= 340282366920938463463374607431768211455);
CREATE DOMAIN u64 AS numeric(20, 0) CHECK (VALUE >= 0 AND VALUE <= 18446744073709551615);
CREATE DOMAIN u32 AS bigint CHECK (VALUE >= 0 AND VALUE <= 4294967295);
CREATE DOMAIN u16 AS integer CHECK (VALUE >= 0 AND VALUE <= 65535);
CREATE DOMAIN hash256 AS bytea CHECK (length(VALUE) = 32);

CREATE TABLE accounts (
    id id128 NOT NULL PRIMARY KEY,
    ledger u32 NOT NULL,
    code u16 NOT NULL,
    flags u16 NOT NULL,
    user_data_128 id128 NOT NULL,
    user_data_64 u64 NOT NULL,
    user_data_32 u32 NOT NULL,
    debits_pending u128 NOT NULL,
    debits_posted u128 NOT NULL,
    credits_pending u128 NOT NULL,
    credits_posted u128 NOT NULL,
    timestamp bigint NOT NULL UNIQUE CHECK (timestamp > 0),
    -- flags bit 1: debits_must_not_exceed_credits
    CONSTRAINT debits_must_not_exceed_credits CHECK (
        flags & 2 = 0 OR debits_pending + debits_posted <= credits_posted
    ),
    -- flags bit 2: credits_must_not_exceed_debits
    CONSTRAINT credits_must_not_exceed_debits CHECK (
        flags & 4 = 0 OR credits_pending + credits_posted <= debits_posted
    )
) WITH (fillfactor = 50);  -- room on each page for HOT updates: every batch rewrites its accounts' balances

CREATE TABLE transfers (
    id id128 NOT NULL PRIMARY KEY,
    debit_account_id id128 NOT NULL,
    credit_account_id id128 NOT NULL,
    amount u128 NOT NULL,
    ledger u32 NOT NULL CHECK (ledger > 0),
    code u16 NOT NULL CHECK (code > 0),
    flags u16 NOT NULL,
    pending_id id128 NOT NULL,
    timeout_s u32 NOT NULL,
    user_data_128 id128 NOT NULL,
    user_data_64 u64 NOT NULL,
    user_data_32 u32 NOT NULL,
    timestamp bigint NOT NULL UNIQUE CHECK (timestamp > 0),
    CONSTRAINT accounts_must_be_different CHECK (debit_account_id <> credit_account_id)
);

-- Pages of one account's history, in timestamp order.
CREATE INDEX transfers_by_debit_account ON transfers (debit_account_id, timestamp);
CREATE INDEX transfers_by_credit_account ON transfers (credit_account_id, timestamp);

CREATE TABLE pendings (
    id id128 NOT NULL PRIMARY KEY,
    debit_account_id id128 NOT NULL,
    credit_account_id id128 NOT NULL,
    amount u128 NOT NULL,
    ledger u32 NOT NULL CHECK (ledger > 0),
    code u16 NOT NULL CHECK (code > 0),
    flags u16 NOT NULL,
    expires_at bigint NOT NULL CHECK (expires_at >= 0),
    state smallint NOT NULL CHECK (state BETWEEN 1 AND 4)
);

-- Only live pendings with a deadline: the expiry sweep reads the head of this index.
CREATE INDEX pendings_due ON pendings (expires_at, id) WHERE state = 1 AND expires_at > 0;

CREATE TABLE failed_transfers (
    id id128 NOT NULL PRIMARY KEY,
    result smallint NOT NULL CHECK (result > 0)
);

CREATE TABLE balances_history (
    account_id id128 NOT NULL,
    timestamp bigint NOT NULL CHECK (timestamp > 0),
    debits_pending u128 NOT NULL,
    debits_posted u128 NOT NULL,
    credits_pending u128 NOT NULL,
    credits_posted u128 NOT NULL,
    PRIMARY KEY (account_id, timestamp)
);

-- Per ledger, debits equal credits: the double-entry invariant, checked by the database.
CREATE TABLE ledger_totals (
    ledger u32 NOT NULL PRIMARY KEY CHECK (ledger > 0),
    debits_pending u128 NOT NULL,
    debits_posted u128 NOT NULL,
    credits_pending u128 NOT NULL,
    credits_posted u128 NOT NULL,
    CONSTRAINT debits_equal_credits CHECK (
        debits_pending = credits_pending AND debits_posted = credits_posted
    )
);

-- One record per committed batch; hash = sha256(prev_hash || payload).
CREATE TABLE journal (
    seq bigint NOT NULL PRIMARY KEY CHECK (seq > 0),
    prev_hash hash256 NOT NULL,
    hash hash256 NOT NULL UNIQUE,
    payload bytea NOT NULL
);

-- The newest record's seq, hash and timestamp in one row, so head() and begin() are
-- O(1); writers lock this row (SELECT ... FOR UPDATE), which serialises them.
CREATE TABLE journal_head (
    singleton smallint NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq bigint NOT NULL CHECK (seq >= 0),
    hash hash256 NOT NULL,
    timestamp bigint NOT NULL CHECK (timestamp >= 0)
);

INSERT INTO journal_head (singleton, seq, hash, timestamp) VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0);

