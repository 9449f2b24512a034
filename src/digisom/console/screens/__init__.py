"""The console's screens, one module per role's work (each a router of pages and forms)."""
