"""digisom.offline.http."""
