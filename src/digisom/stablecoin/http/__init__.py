"""digisom.stablecoin.http."""
