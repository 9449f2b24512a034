"""`digisom register ...`: the State Register of Digital Assets from the command line, on
the same database as `digisom serve --data DIR` (or `--db URL`), signing with the same
service key (DIR's `api-signing-key.pem`, or `--key PEM`).

    digisom register verify EXPORT.json --key HEX   # an outsider checks an export: exit 0, or 1 naming the event
    digisom register list                           # every asset as it stands (JSON)
    digisom register show KGST                      # one asset
    digisom register history KGST                   # its signed events
    digisom register export --out register.json     # the whole log with the public key that checks it
    digisom register seed                           # the synthetic demo register: 100+ VASPs, KGST, USDKG

Reads answer JSON on stdout; a typed refusal (no such asset) prints one line and exits 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.registry.chain import verify_chain

register_app = typer.Typer(help="The State Register of Digital Assets.", no_args_is_help=True)

EXIT_ERROR: Final = 1
DEFAULT_DATA: Final = Path(".data")
DataOption = Annotated[Path, typer.Option("--data", help="The data folder (its digisom.db and signing key).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL instead of DIR/digisom.db.")]
KeyFileOption = Annotated[Path | None, typer.Option(
    "--key-file", help="The service's Ed25519 key (PEM) instead of DIR's.", exists=True, dir_okay=False)]


@dataclass(frozen=True, slots=True)
class Services:
    """The register's services on one database, over one log."""

    assets: Any  # AssetRegister; the domain loads only when a command runs
    licensing: Any  # Licensing
    documents: Any  # Documents


def _key(data: Path, key_file: Path | None, create: bool) -> Ed25519PrivateKey | None:
    """The service key: `key_file`, else DIR's (created there if `create`, as `serve` would)."""
    from digisom.api.signing_key import KEY_FILE_NAME, load_key, load_or_create_key  # noqa: PLC0415

    if key_file is not None:
        return load_key(key_file)
    if create:
        return load_or_create_key(data)
    path = data / KEY_FILE_NAME
    return load_key(path) if path.exists() else None


@contextmanager
def services(data: Path, db: str | None, key_file: Path | None, *, signing: bool = False) -> Iterator[Services]:
    """The register on the data folder's database (migrated). Reads need no key (with none
    on disk a throwaway one stands in: nothing is signed); `signing` loads or creates it.
    A typed refusal prints one line and exits 1."""
    from digisom.api.runtime import database_url, domain_engine  # noqa: PLC0415
    from digisom.errors import DigisomError  # noqa: PLC0415
    from digisom.kernel.clock import utc_now  # noqa: PLC0415
    from digisom.registry import migrations  # noqa: PLC0415
    from digisom.registry.assets import AssetRegister  # noqa: PLC0415
    from digisom.registry.documents import Documents  # noqa: PLC0415
    from digisom.registry.licensing import Licensing  # noqa: PLC0415
    from digisom.registry.log import EventLog  # noqa: PLC0415

    try:
        engine = domain_engine(database_url(data, db))
        key = _key(data, key_file, signing) or Ed25519PrivateKey.generate()
    except (ValueError, DigisomError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        migrations.migrate(engine)
        log = EventLog(engine, key, utc_now)
        yield Services(AssetRegister(log), Licensing(log, utc_now), Documents(engine, utc_now))
    except DigisomError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        engine.dispose()


def echo_json(value: object) -> None:
    """One JSON document on stdout."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@register_app.callback()
def _group() -> None:
    """The register's commands."""


@register_app.command("verify")
def verify(export: Path, key: Annotated[str, typer.Option(help="The register's public key, 64 hex digits.")]) -> None:
    """Check an export of `/v1/register/export` (or `digisom register export`)."""
    try:
        document = json.loads(export.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        typer.echo(f"{export}: not a readable JSON export ({type(error).__name__}: {error})", err=True)
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        typer.echo(f"{export}: an export is a JSON object with `events`", err=True)
        raise typer.Exit(2)
    try:
        public = bytes.fromhex(key)
    except ValueError:
        typer.echo("the key is not hex", err=True)
        raise typer.Exit(2) from None
    problems = verify_chain(document.get("events", []), public)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"ok: {len(document.get('events', []))} events, chained and signed by {key}")


@register_app.command("list")
def list_assets(data: DataOption = DEFAULT_DATA, db: DbOption = None) -> None:
    """Every asset as it stands, by symbol."""
    with services(data, db, None) as s:
        echo_json({"items": [e.as_json() for e in s.assets.entries()]})


@register_app.command("show")
def show(symbol: str, data: DataOption = DEFAULT_DATA, db: DbOption = None) -> None:
    """One asset as it stands."""
    with services(data, db, None) as s:
        echo_json(s.assets.entry(symbol).as_json())


@register_app.command("history")
def history(symbol: str, data: DataOption = DEFAULT_DATA, db: DbOption = None) -> None:
    """Every signed event of one asset, in order."""
    with services(data, db, None) as s:
        echo_json({"items": [e.as_json() for e in s.assets.history(symbol)]})


@register_app.command("export")
def export(data: DataOption = DEFAULT_DATA, db: DbOption = None, key_file: KeyFileOption = None,
           out: Annotated[Path | None, typer.Option("--out", help="Write the export here, not to stdout.")] = None
           ) -> None:
    """The whole log (assets and licensing) with the public key that checks it."""
    if key_file is None and _key(data, None, create=False) is None:
        typer.echo(f"error: no service key in {data}: give --key-file (the export names its public key)", err=True)
        raise typer.Exit(EXIT_ERROR)
    with services(data, db, key_file) as s:
        document = s.assets.log.export()
    if out is None:
        echo_json(document)
        return
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"{len(document['events'])} events written to {out}; check: digisom register verify {out} "
               f"--key {document['public_key']}")


@register_app.command("seed")
def seed(data: DataOption = DEFAULT_DATA, db: DbOption = None, key_file: KeyFileOption = None,
         seed_text: Annotated[str | None, typer.Option("--seed", help="The seed string (same seed, same "
                                                                      "register).")] = None,
         vasps: Annotated[int | None, typer.Option("--vasps", min=12, max=360, help="How many VASPs.")] = None
         ) -> None:
    """Seed the synthetic demo register (idempotent: what is there stays)."""
    from digisom.devtools import seed_register as seeding  # noqa: PLC0415

    with services(data, db, key_file, signing=True) as s:
        seeded = seeding.seed_register(s.assets, s.licensing, s.documents,
                                       seed=seed_text or seeding.DEFAULT_SEED, count=vasps or seeding.DEFAULT_VASPS)
        echo_json({"vasps": len(seeded.vasps), "licences": len(s.licensing.licences()),
                   "assets": list(seeded.assets), "events": s.assets.log.head_seq(),
                   "public_key": s.assets.log.public_key_hex})
