-- A ledger's totals are sums over all of its accounts: every account stays within u128,
-- but their sum need not (two accounts each credited 2^128 - 1 already pass it). The
-- totals widen to u256; no account can hold more than u128, so a sum over at most 2^128
-- accounts always fits.

CREATE DOMAIN u256 AS numeric(78, 0)
    CHECK (VALUE >= 0 AND VALUE <= 115792089237316195423570985008687907853269984665640564039457584007913129639935);

ALTER TABLE ledger_totals
    ALTER COLUMN debits_pending TYPE u256,
    ALTER COLUMN debits_posted TYPE u256,
    ALTER COLUMN credits_pending TYPE u256,
    ALTER COLUMN credits_posted TYPE u256;
