"""The treasury's screens: programmes, uploading a payment file (refused with its
row-level report, or recorded), approval by a second officer, and a run's progress.

Each form performs the API operation it names, through the disbursement service the
API's routes call (`digisom.disbursement`), so the same rules hold: the uploader may not
approve (dual control), a run pays only once approved, a file with one bad row is
refused whole.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _
from digisom.console.screens.pages import PAGE_ROWS, PageQuery, offset, past_the_end
from digisom.console.web import PREFIX, SignedIn, console_of, field, posted, render, see_other, viewer
from digisom.disbursement.http import schemas as d
from digisom.disbursement.http.executions import DisbursementRuntime
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.disbursement.model import FileFormat, RunStatus
from digisom.disbursement.parsing import FILE_BYTES_MAX, FileRefused
from digisom.http.services import filled

BASE: Final = PREFIX + "/treasury"
UPLOAD_PATH_PATTERN: Final = r"^/console/treasury/programmes/[^/]+/runs$"
# Shown on the page; the rest are counted (the whole report stays with the API's problem).
REPORT_ROWS_SHOWN_MAX: Final = 200
BUDGET_DIGITS_MAX: Final = 18
FORMATS: Final = {"csv": FileFormat.CSV, "pain001": FileFormat.PAIN001}
# While a run pays, its page reloads itself this often (static/live.js, which offers a pause).
PROGRESS_REFRESH_S: Final = 2
PROGRAMME_ID: Final = re.compile(d.PROGRAMME_ID_PATTERN)
PERIOD: Final = re.compile(d.PERIOD_PATTERN)
ProgrammePath = Annotated[str, Path(pattern=d.PROGRAMME_ID_PATTERN)]
RunPath = Annotated[str, Path(pattern=d.RUN_ID_PATTERN)]


def _runtime(request: Request) -> DisbursementRuntime:
    return filled(console_of(request).api, DISBURSEMENT)


def _programme_page(request: Request, who: SignedIn, programme_id: str, page: int = 1, status: int = 200,
                    refused: FileRefused | None = None) -> Response:
    service = _runtime(request).service
    programme = service.programme(programme_id)
    runs = service.runs_of(programme_id, offset(page), PAGE_ROWS)
    past_the_end(page, len(runs))
    errors = refused.report.errors if refused else ()
    left_off = (refused.report.left_off + max(0, len(errors) - REPORT_ROWS_SHOWN_MAX)) if refused else 0
    return render(request, "treasury/programme.html", who, status=status, programme=programme, runs=runs,
                  page=page, page_rows=PAGE_ROWS, upload_key=secrets.token_hex(16),
                  report_errors=errors[:REPORT_ROWS_SHOWN_MAX], report_left_off=left_off)


def _run_page(request: Request, who: SignedIn, run_id: str) -> Response:
    runtime = _runtime(request)
    run = runtime.service.run(run_id)
    progress = runtime.service.progress(run_id)
    worker = runtime.executions.state(run_id)
    done = progress.rows - progress.pending
    percent = 100 if progress.rows == 0 else done * 100 // progress.rows
    live = run.status is RunStatus.EXECUTING or worker.running
    return render(request, "treasury/run.html", who, run=run, progress=progress, worker=worker, done=done,
                  percent=percent, refresh_s=PROGRESS_REFRESH_S if live else None)


def _budget_tyiyn(text: str) -> int:
    if not text.isdigit() or not text.isascii() or len(text) > BUDGET_DIGITS_MAX:
        raise ConsoleRefusal(400, _("Invalid form"), _("The budget is a whole number of tyiyn."))
    return int(text)


def router() -> APIRouter:
    """The treasury's pages and forms."""
    r = APIRouter()

    @r.get(BASE)
    def programmes(request: Request, page: PageQuery = 1) -> Response:
        """The programmes, and the form for a new one."""
        who = viewer(request, "disbursement.programmes.read")
        found = _runtime(request).service.programmes(offset(page), PAGE_ROWS)
        past_the_end(page, len(found))
        return render(request, "treasury/programmes.html", who, programmes=found, page=page, page_rows=PAGE_ROWS)

    @r.post(BASE + "/programmes")
    async def create_programme(request: Request) -> Response:
        """Create a programme (`disbursement.programmes.create`)."""
        _who, form = await posted(request, "disbursement.programmes.create")
        programme_id = field(form, "id", 64)
        if not PROGRAMME_ID.match(programme_id):
            raise ConsoleRefusal(400, _("Invalid form"), _("A programme id is lower-case letters, digits and '-'."))
        service = _runtime(request).service
        budget_tyiyn = _budget_tyiyn(field(form, "budget_tyiyn"))
        created = await run_in_threadpool(service.create_programme, programme_id, field(form, "name"),
                                          field(form, "source_wallet_id", 64), budget_tyiyn)
        return see_other(f"{BASE}/programmes/{created.id}")

    @r.get(BASE + "/programmes/{programme_id}")
    def programme(request: Request, programme_id: ProgrammePath, page: PageQuery = 1) -> Response:
        """A programme, its runs and the upload form."""
        who = viewer(request, "disbursement.programmes.read")
        return _programme_page(request, who, programme_id, page)

    @r.post(BASE + "/programmes/{programme_id}/runs")
    async def upload(request: Request, programme_id: ProgrammePath) -> Response:
        """Upload a payment file (`disbursement.runs.upload`): refused whole with its row
        report, or recorded to await a second officer's approval."""
        who, form = await posted(request, "disbursement.runs.upload", files_max=1)
        period = field(form, "period", 7)
        file_format = FORMATS.get(field(form, "format", 8))
        key = field(form, "upload_key", 64)
        upload = form.get("file")
        if not PERIOD.match(period) or file_format is None or not key or not isinstance(upload, UploadFile):
            raise ConsoleRefusal(400, _("Invalid form"), _("Choose a file, its format and the month it pays."))
        data = await upload.read(FILE_BYTES_MAX + 1)
        service = _runtime(request).service
        try:
            run = await run_in_threadpool(service.upload, who.actor.subject, key, programme_id, period, data,
                                          file_format)
        except FileRefused as refused:
            return _programme_page(request, who, programme_id, status=422, refused=refused)
        return see_other(f"{BASE}/runs/{run.id}")

    @r.get(BASE + "/runs/{run_id}")
    def run(request: Request, run_id: RunPath) -> Response:
        """A run: its status, who uploaded and approved it, and its progress."""
        who = viewer(request, "disbursement.runs.read")
        return _run_page(request, who, run_id)

    @r.post(BASE + "/runs/{run_id}/approval")
    async def approve(request: Request, run_id: RunPath) -> Response:
        """Approve a run (`disbursement.runs.approve`); never its uploader (dual control)."""
        who, _form = await posted(request, "disbursement.runs.approve")
        await run_in_threadpool(_runtime(request).service.approve, who.actor.subject, run_id)
        return see_other(f"{BASE}/runs/{run_id}")

    @r.post(BASE + "/runs/{run_id}/execution")
    async def execute(request: Request, run_id: RunPath) -> Response:
        """Start or resume paying an approved run (`disbursement.runs.execute`)."""
        await posted(request, "disbursement.runs.execute")
        await run_in_threadpool(_runtime(request).start_execution, run_id)
        return see_other(f"{BASE}/runs/{run_id}")

    return r
