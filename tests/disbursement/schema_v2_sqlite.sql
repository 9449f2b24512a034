-- The disbursement tables as migrations 1 and 2 created them before migration 3
-- (generated from tables.py at commit efdd2e7 for this dialect), to test upgrading.
CREATE TABLE disbursement_programmes (
	seq INTEGER NOT NULL,
	id VARCHAR(64) NOT NULL,
	name VARCHAR(200) NOT NULL,
	ledger_account_id VARCHAR(39) NOT NULL,
	budget_tyiyn BIGINT NOT NULL,
	remaining_tyiyn BIGINT NOT NULL,
	created_at VARCHAR(32) NOT NULL,
	PRIMARY KEY (seq),
	CONSTRAINT disbursement_programmes_budget CHECK (budget_tyiyn >= 0),
	CONSTRAINT disbursement_programmes_remaining CHECK (remaining_tyiyn >= 0 AND remaining_tyiyn <= budget_tyiyn),
	UNIQUE (id)
);

CREATE TABLE disbursement_runs (
	seq INTEGER NOT NULL,
	id VARCHAR(64) NOT NULL,
	programme_id VARCHAR(64) NOT NULL,
	period VARCHAR(16) NOT NULL,
	status VARCHAR(16) NOT NULL,
	uploaded_by VARCHAR(128) NOT NULL,
	approved_by VARCHAR(128),
	rows INTEGER NOT NULL,
	total_tyiyn BIGINT NOT NULL,
	batches_done INTEGER NOT NULL,
	file_sha256 VARCHAR(64) NOT NULL,
	uploaded_at VARCHAR(32) NOT NULL,
	approved_at VARCHAR(32),
	completed_at VARCHAR(32),
	PRIMARY KEY (seq),
	CONSTRAINT disbursement_runs_status CHECK (status IN ('uploaded', 'approved', 'executing', 'completed')),
	CONSTRAINT disbursement_runs_dual_control CHECK (approved_by IS NULL OR approved_by <> uploaded_by),
	CONSTRAINT disbursement_runs_total CHECK (total_tyiyn > 0 AND rows > 0),
	UNIQUE (id),
	FOREIGN KEY(programme_id) REFERENCES disbursement_programmes (id)
);

CREATE TABLE disbursement_payments (
	seq INTEGER NOT NULL,
	run_id VARCHAR(64) NOT NULL,
	programme_id VARCHAR(64) NOT NULL,
	period VARCHAR(16) NOT NULL,
	pin VARCHAR(14) NOT NULL,
	line INTEGER NOT NULL,
	amount_tyiyn BIGINT NOT NULL,
	name VARCHAR(200) NOT NULL,
	region VARCHAR(64) NOT NULL,
	channel VARCHAR(16) NOT NULL,
	account_id VARCHAR(39) NOT NULL,
	transfer_id VARCHAR(32) NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason VARCHAR(64) NOT NULL,
	batch INTEGER,
	PRIMARY KEY (seq),
	CONSTRAINT disbursement_payments_once_per_period UNIQUE (programme_id, period, pin),
	CONSTRAINT disbursement_payments_amount CHECK (amount_tyiyn > 0),
	CONSTRAINT disbursement_payments_status CHECK (status IN ('pending', 'paid', 'unclaimed', 'rejected')),
	CONSTRAINT disbursement_payments_channel CHECK (channel IN ('wallet', 'bank_account', 'none')),
	FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
);

CREATE INDEX disbursement_payments_by_run ON disbursement_payments (run_id, status, line);

CREATE TABLE disbursement_tax_payments (
	seq INTEGER NOT NULL,
	id VARCHAR(64) NOT NULL,
	operation_id VARCHAR(257) NOT NULL,
	reference VARCHAR(25) NOT NULL,
	payer_account_id VARCHAR(39) NOT NULL,
	amount_tyiyn BIGINT NOT NULL,
	transfer_id VARCHAR(32) NOT NULL,
	paid_at VARCHAR(32) NOT NULL,
	PRIMARY KEY (seq),
	CONSTRAINT disbursement_tax_payments_amount CHECK (amount_tyiyn > 0),
	UNIQUE (id),
	UNIQUE (operation_id),
	UNIQUE (transfer_id)
);

CREATE INDEX ix_disbursement_tax_payments_reference ON disbursement_tax_payments (reference);
