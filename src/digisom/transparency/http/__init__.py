"""The public transparency log over HTTP: /v1/public/log."""
