"""SQL migrations, one directory per dialect, applied in order by `digisom.stores.migrate`."""
