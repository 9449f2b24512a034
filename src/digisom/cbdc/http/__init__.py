"""digisom.cbdc.http."""
