"""digisom.interbank.http."""
