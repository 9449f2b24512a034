"""The HTTP API (FastAPI) under /v1: thin handlers over `digisom.cbdc.service`."""
