"""digisom.usdkg.http: the /v1/usdkg routes."""
