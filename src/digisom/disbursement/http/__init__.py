"""digisom.disbursement.http."""
