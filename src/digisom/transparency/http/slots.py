"""What the log's routes need from the composition root: the log."""

from __future__ import annotations

from typing import Final

from digisom.http.services import Slot
from digisom.transparency.log import TransparencyLog

TRANSPARENCY_LOG: Final = Slot[TransparencyLog]("transparency.log")
