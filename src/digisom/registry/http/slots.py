"""What the register's routes need from the composition root: the register and licensing
over the signed log (`digisom.api.registry_wiring`)."""

from __future__ import annotations

from typing import Final

from digisom.http.services import Slot
from digisom.registry.assets import AssetRegister
from digisom.registry.documents import Documents
from digisom.registry.licensing import Licensing

ASSET_REGISTER: Final = Slot[AssetRegister]("registry.assets")
LICENSING: Final = Slot[Licensing]("registry.licensing")
DOCUMENTS: Final = Slot[Documents]("registry.documents")
