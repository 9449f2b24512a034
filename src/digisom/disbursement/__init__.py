"""Government payments in digital som: bulk disbursement of programmes (pensions,
benefits) from the treasury, from an uploaded file to a reconciled run."""
