"""Small synthetic list files in both formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FTM_ENTITIES = [
    {"id": "kg-person-1", "schema": "Person", "last_change": "2026-11-30T10:00:00",
     "properties": {"name": ["Жээнбеков Сооронбай Шарипович"], "alias": ["Sooronbai Jeenbekov"],
                    "weakAlias": ["Soke"], "birthDate": ["1958-11-16"], "country": ["kg"]}},
    {"id": "kg-company-1", "schema": "Company", "last_change": "2026-08-14T00:00:00",
     "properties": {"name": ["ОсОО «Олд Вектор»"], "alias": ["Old Vector LLC"]}},
    {"id": "wallet-1", "schema": "CryptoWallet",
     "properties": {"publicKey": ["0xAbCdef0123456789abcdef0123456789ABCDEF01"], "holder": ["kg-company-1"]}},
    {"id": "wallet-2", "schema": "CryptoWallet", "properties": {"publicKey": ["TXyzTronBase58Address111111111111"]}},
    {"id": "relative-1", "schema": "Person", "target": False, "properties": {"name": ["Иванов Пётр"]}},
    {"id": "sanction-1", "schema": "Sanction", "properties": {"entity": ["kg-company-1"]}},
]  # fmt: skip

SDN_CSV = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    '9001,"TOKTOGULOV, Almazbek Kubanychbekovich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 12 Jan 1970; Digital Currency Address - ETH 0x1111111111111111111111111111111111111111; '
    'Digital Currency Address - TRX TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE; alt. Digital Currency Address - XBT '
    '1BoatSLRHtKNngkdXEeobR76b53LETtpyT."\n'
    '9002,"GRINEX EXCHANGE",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    "\x1a\n"
)
ALT_CSV = '9001,101,"aka","Токтогулов Алмазбек",-0- \n9002,102,"fka","GARANTEX EUROPE",-0- \n'
ADD_CSV = '9001,201,-0- ,"Bishkek","Kyrgyzstan",-0- \n'


@pytest.fixture
def ftm_file(tmp_path: Path) -> Path:
    path = tmp_path / "entities.ftm.json"
    path.write_text("".join(json.dumps(entity, ensure_ascii=False) + "\n" for entity in FTM_ENTITIES), encoding="utf-8")
    return path


@pytest.fixture
def sdn_file(tmp_path: Path) -> Path:
    folder = tmp_path / "ofac"
    folder.mkdir()
    (folder / "sdn.csv").write_text(SDN_CSV, encoding="utf-8")
    (folder / "alt.csv").write_text(ALT_CSV, encoding="utf-8")
    (folder / "add.csv").write_text(ADD_CSV, encoding="utf-8")
    return folder / "sdn.csv"


from tests.api.conftest import runtime, world  # noqa: E402,F401 (the API fixtures, for test_api)
