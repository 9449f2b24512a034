"""How `digisom serve` logs: uvicorn's own configuration, plus the `digisom` loggers at
INFO writing their JSON lines as they are (one object per line, with the request id).
uvicorn's access log is off: the request log (`digisom.http.observability`) says the
same and carries the request id."""

from __future__ import annotations

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def serve_log_config() -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary for uvicorn's `log_config`."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_lines"] = {"format": "%(message)s"}
    config["handlers"]["json_lines"] = {"class": "logging.StreamHandler", "formatter": "json_lines",
                                        "stream": "ext://sys.stderr"}
    config["loggers"]["digisom"] = {"handlers": ["json_lines"], "level": "INFO", "propagate": False}
    return config
