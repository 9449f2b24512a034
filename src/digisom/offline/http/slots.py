"""What the offline routes need from the composition root."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Lazy, Slot, provided
from digisom.offline.service import OfflineService

OFFLINE_SERVICE: Final = Slot[Lazy[OfflineService]]("offline.service")


def offline_service(request: Request) -> OfflineService:
    """The process's offline service, built on first use."""
    return provided(request, OFFLINE_SERVICE).get()
