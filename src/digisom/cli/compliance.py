"""`digisom compliance screen`: a name, a file of names or a wallet address against
sanctions lists (FollowTheMoney JSON lines, or OFAC's sdn.csv with alt.csv and add.csv
beside it).

    digisom compliance screen --list entities.ftm.json --list sdn.csv --name "Жээнбеков Сооронбай"
    digisom compliance screen --list sdn.csv --name "Old Vector" --schema Organization
    digisom compliance screen --list entities.ftm.json --names-file names.jsonl   # {"name", "schema"} per line
    digisom compliance screen --list entities.ftm.json --address 0xAbC...

Each answer is one JSON object, `{"decision": "hit"|"review"|"clear", "matches": [{"id",
"caption", "score"}]}`, best match first. A list file that does not parse, or a subject
that is not valid, prints one error line and exits 2 (with `--names-file`, a bad line
gets `{"line", "error"}` in its place and the run exits 2 at the end).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Final

import typer

from digisom.compliance.errors import ComplianceError
from digisom.compliance.loading import load_list
from digisom.compliance.model import SubjectSchema
from digisom.compliance.screening import Screener

compliance_app = typer.Typer(help="Sanctions screening against FollowTheMoney and OFAC SDN lists.",
                             no_args_is_help=True)

EXIT_REFUSED: Final = 2
NAMES_LINE_BYTES_MAX: Final = 4096
NAMES_LINES_MAX: Final = 1_000_000


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_REFUSED)


def _screener(lists: list[Path]) -> Screener:
    try:
        return Screener([load_list(path) for path in lists])
    except ComplianceError as error:
        raise _fail(error.detail) from None
    except OSError as error:
        raise _fail(f"cannot read {error.filename}: {error.strerror}") from None


def _schema(text: object) -> SubjectSchema:
    if text is None:
        return SubjectSchema.ANY
    if text not in (SubjectSchema.PERSON.value, SubjectSchema.ORGANIZATION.value):
        raise ValueError("schema must be Person or Organization")
    return SubjectSchema(text)


def _names_file(screener: Screener, path: Path) -> bool:
    """Screen each line of `path`; False if any line was refused."""
    all_good = True
    with path.open("rb") as stream:
        for number, line in enumerate(iter(lambda: stream.readline(NAMES_LINE_BYTES_MAX + 1), b""), start=1):
            if number > NAMES_LINES_MAX:
                raise _fail(f"{path.name} has over {NAMES_LINES_MAX} lines")
            if not line.strip():
                continue
            try:
                if len(line) > NAMES_LINE_BYTES_MAX:
                    raise ValueError(f"over {NAMES_LINE_BYTES_MAX} bytes")
                record = json.loads(line)
                if not isinstance(record, dict) or not isinstance(record.get("name"), str):
                    raise ValueError('not an object with a "name" string')
                answer = screener.screen_name(record["name"], _schema(record.get("schema"))).as_json()
            except (ValueError, ComplianceError) as error:
                all_good = False
                answer = {"line": number, "error": getattr(error, "detail", str(error))}
                if len(line) > NAMES_LINE_BYTES_MAX:  # skip the rest of the over-long line
                    rest = line
                    while rest and not rest.endswith(b"\n"):
                        rest = stream.readline(NAMES_LINE_BYTES_MAX)
            sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return all_good


@compliance_app.command("screen")
def screen(
    lists: Annotated[list[Path], typer.Option("--list", help="A list file: FollowTheMoney JSON lines or sdn.csv.")],
    name: Annotated[str | None, typer.Option("--name", help="A person's or organisation's name.")] = None,
    schema: Annotated[str | None, typer.Option("--schema", help="Person or Organization (default: any).")] = None,
    names_file: Annotated[Path | None, typer.Option("--names-file", help='JSON lines of {"name", "schema"}.')] = None,
    address: Annotated[str | None, typer.Option("--address", help="A wallet address.")] = None,
) -> None:
    """Screen a name, a file of names or an address; print the decision and matches as JSON."""
    if sum(subject is not None for subject in (name, names_file, address)) != 1:
        raise _fail("give exactly one of --name, --names-file, --address")
    try:
        subject_schema = _schema(schema)
    except ValueError as error:
        raise _fail(str(error)) from None
    screener = _screener(lists)
    if names_file is not None:
        try:
            all_good = _names_file(screener, names_file)
        except OSError as error:
            raise _fail(f"cannot read {error.filename}: {error.strerror}") from None
        if not all_good:
            raise typer.Exit(EXIT_REFUSED)
        return
    try:
        result = screener.screen_name(name, subject_schema) if name is not None else \
            screener.screen_address(address or "")
    except ComplianceError as error:
        raise _fail(error.detail) from None
    typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
