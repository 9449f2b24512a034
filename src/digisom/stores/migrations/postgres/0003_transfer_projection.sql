-- The per-transfer table becomes a projection of the journal (docs/adr/0013-transfer-projection.md):
-- a commit writes the journal record (whose payload holds every transfer), the accounts,
-- pendings, failed ids, balances and totals; the transfer rows follow in the projector's
-- own transaction. `projection_head.seq` is the last journal record whose transfers are
-- all in `transfers`; everything after it is read from the journal's payloads.
-- Every record existing when this runs was written with its transfers, so the
-- projection starts at the journal's head.

CREATE TABLE projection_head (
    singleton smallint NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq bigint NOT NULL CHECK (seq >= 0)
);

INSERT INTO projection_head (singleton, seq) SELECT 1, seq FROM journal_head;
