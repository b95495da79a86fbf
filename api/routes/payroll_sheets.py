"""Payroll sheets (工资单) in four steps: the wage table (pre-filled from attendance, edited
or uploaded), the workers' signature (a scan, or each worker's confirmation), the bank
file (sealed for the bank), and the bank's return, reconciled line by line; failed lines
are paid again by a supplementary sheet. Every step asks for the security password."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from analytics import attendance_queries as q
from api.auth.access import visible_project_ids
from api.auth.guards import actor_of, require_visible_project
from api.auth.payroll_officer import PayrollOfficer
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, RowId, Services
from api.envelopes import Items
from api.payroll.bank_files import DEFAULT_PROFILE, PROFILES
from api.payroll.sealing import load_public_key, seal_for_bank
from api.payroll.wage_table import read_lines, read_table
from api.stores.bank_cards import card_number
from api.stores.payroll_bank import (
    create_supplementary,
    export_bank_file,
    import_return,
    pay_messages,
)
from api.stores.payroll_sheets import (
    SheetDetail,
    SheetView,
    confirm_table,
    create_sheet,
    get_sheet,
    list_sheets,
    month_bounds,
    replace_table,
    sheet_detail,
    sign_by_workers,
    sign_with_scan,
)
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, UnavailableError
from streams.channels import project_channel
from streams.live_messages import PayMessage, to_text

router = APIRouter(tags=["payroll"])

MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"  # this century: any date.fromisoformat takes
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM")]
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class SheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    enterprise_id: int = Field(ge=1, lt=2**63, description="the paying enterprise")
    month: Month


class NotPrefilled(BaseModel):
    worker_id: int
    reason: str


class CreatedSheet(SheetDetail):
    not_prefilled: list[NotPrefilled]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    days_worked: int
    hours_worked: Decimal = Decimal(0)
    amount: Decimal
    note: str = Field(default="", max_length=200)


class TableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[LineIn] = Field(min_length=1, max_length=5000)


class ReturnImported(SheetDetail):
    already_imported: bool


async def _officer_sheet(app: Services, who: Principal, sheet_id: int) -> SheetView:
    async with app.pool.connection() as conn:
        sheet = await get_sheet(conn, sheet_id)
        await require_visible_project(conn, who, sheet.project_id)
    return sheet


async def _announce(app: Services, sheet_id: int, line_ids: list[int] | None = None) -> None:
    """Tell each worker on their own channel that their pay was sent, paid or failed."""
    async with app.pool.connection() as conn:
        messages = await pay_messages(conn, sheet_id, line_ids)
    namespace = app.settings.namespace
    for fields in messages:
        message = PayMessage(**fields)
        await app.redis.publish(project_channel(namespace, message.project_id), to_text(message))


@router.post("/v1/payroll/sheets", status_code=201, response_model=CreatedSheet)
async def post_sheet(body: SheetIn, who: PayrollOfficer, app: Services) -> CreatedSheet:
    """A new sheet for a project, paying enterprise and month, its table pre-filled from
    the month's attendance and each worker's labour contract."""
    month = date.fromisoformat(body.month + "-01")
    first, last = month_bounds(month)
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, body.project_id)
    attendance = await app.clickhouse.run(q.month_totals, body.project_id, first, last)
    async with app.pool.connection() as conn:
        sheet, skipped = await create_sheet(
            conn, body.project_id, body.enterprise_id, month, attendance, actor=actor_of(who)
        )
    return CreatedSheet(
        **sheet.model_dump(),
        not_prefilled=[NotPrefilled(worker_id=s.worker_id, reason=s.reason) for s in skipped],
    )


@router.get("/v1/payroll/sheets", response_model=Items[SheetView])
async def get_sheets(
    who: Caller,
    app: Services,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> Items[SheetView]:
    """Sheets of the projects in the caller's scope (one project, one month if asked)."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers see their pay at GET /v1/me/pay")
    async with app.pool.connection() as conn:
        projects = await visible_project_ids(conn, who)
        if project_id is not None:
            projects = [p for p in projects if p == project_id]
        chosen = date.fromisoformat(month + "-01") if month else None
        return Items[SheetView](items=await list_sheets(conn, projects, chosen))


@router.get("/v1/payroll/sheets/{sheet_id:int}", response_model=SheetDetail)
async def get_one_sheet(sheet_id: RowId, who: Caller, app: Services) -> SheetDetail:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers see their pay at GET /v1/me/pay")
    await _officer_sheet(app, who, sheet_id)
    async with app.pool.connection() as conn:
        return await sheet_detail(conn, sheet_id)


@router.put("/v1/payroll/sheets/{sheet_id:int}/lines", response_model=SheetDetail)
async def put_lines(
    sheet_id: RowId, body: TableIn, who: PayrollOfficer, app: Services
) -> SheetDetail:
    """Step (a), edited: the whole table as JSON lines (a new revision)."""
    await _officer_sheet(app, who, sheet_id)
    lines, malformed = read_lines([line.model_dump() for line in body.lines])
    async with app.pool.connection() as conn:
        return await replace_table(conn, sheet_id, lines, malformed=malformed, actor=actor_of(who))


@router.post(
    "/v1/payroll/sheets/{sheet_id:int}/table", response_model=SheetDetail, openapi_extra=_FILE_BODY
)
async def post_table_file(
    sheet_id: RowId, request: Request, who: PayrollOfficer, app: Services
) -> SheetDetail:
    """Step (a), uploaded: a CSV (UTF-8 or GB18030) or XLSX wage table. One bad line names
    every bad line and changes nothing."""
    await _officer_sheet(app, who, sheet_id)
    rows = read_table(await request.body(), request.headers.get("content-type", ""))
    lines, malformed = read_lines(rows)
    async with app.pool.connection() as conn:
        return await replace_table(conn, sheet_id, lines, malformed=malformed, actor=actor_of(who))


@router.post("/v1/payroll/sheets/{sheet_id:int}/table/confirm", response_model=SheetDetail)
async def post_table_confirm(sheet_id: RowId, who: PayrollOfficer, app: Services) -> SheetDetail:
    """Step (a), as pre-filled: the table stands as it is."""
    await _officer_sheet(app, who, sheet_id)
    async with app.pool.connection() as conn:
        return await confirm_table(conn, sheet_id, actor=actor_of(who))


def _scan_type(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise InvalidInputError(
        [
            FieldProblem(
                "body",
                "the signed sheet must be a PDF or a JPEG",
                "签字工资单须为 PDF 或 JPEG 文件",
            )
        ]
    )


@router.post(
    "/v1/payroll/sheets/{sheet_id:int}/signed-scan",
    response_model=SheetDetail,
    openapi_extra=_FILE_BODY,
)
async def post_signed_scan(
    sheet_id: RowId, request: Request, who: PayrollOfficer, app: Services
) -> SheetDetail:
    """Step (b): the scan of the sheet the workers signed (PDF or JPEG), kept by sha256."""
    await _officer_sheet(app, who, sheet_id)
    data = await request.body()
    kind = _scan_type(data)
    digest = hashlib.sha256(data).hexdigest()
    folder = app.settings.payroll_dir / "signed"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{'.pdf' if kind == 'application/pdf' else '.jpg'}"
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    async with app.pool.connection() as conn:
        return await sign_with_scan(conn, sheet_id, digest, kind, actor=actor_of(who))


@router.post("/v1/payroll/sheets/{sheet_id:int}/signed-by-workers", response_model=SheetDetail)
async def post_signed_by_workers(
    sheet_id: RowId, who: PayrollOfficer, app: Services
) -> SheetDetail:
    """Step (b), the other way: every worker confirmed their line in their own account."""
    await _officer_sheet(app, who, sheet_id)
    async with app.pool.connection() as conn:
        return await sign_by_workers(conn, sheet_id, actor=actor_of(who))


@router.post(
    "/v1/payroll/sheets/{sheet_id:int}/bank-file",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "the bank file, sealed for the wage account's bank"
            " (format sitepulse-bank-file/1)",
        }
    },
)
async def post_bank_file(
    sheet_id: RowId,
    who: PayrollOfficer,
    app: Services,
    profile: Annotated[str, Query(description="bank file layout")] = DEFAULT_PROFILE,
) -> Response:
    """Step (c): the bank file of a signed sheet, sealed with the bank's public key; the
    sheet is then sent. Downloading it again gives the same lines."""
    if profile not in PROFILES:
        raise InvalidInputError(
            [FieldProblem("profile", f"one of {', '.join(PROFILES)}", "不支持的银行文件格式")]
        )
    sheet = await _officer_sheet(app, who, sheet_id)
    was_sent = sheet.state == "sent"
    async with app.pool.connection() as conn:

        async def opened(card_id: int) -> tuple[str, str]:
            return await card_number(conn, app.sealer, card_id)

        account = await conn.execute(
            "SELECT a.bank_code FROM wage_accounts a JOIN payroll_sheets s"
            " ON s.account_id = a.account_id WHERE s.sheet_id = %s",
            (sheet_id,),
        )
        row = await account.fetchone()
        bank = str(row[0]) if row else ""
        key_file = app.settings.bank_keys / f"{bank}.pem"
        if not key_file.is_file():
            raise UnavailableError(f"no public key installed for bank {bank} ({key_file.name})")
        public_key = load_public_key(key_file.read_bytes())
        bank_file = await export_bank_file(
            conn, sheet_id, opened, profile=profile, actor=actor_of(who)
        )
    sealed = seal_for_bank(
        bank_file.plaintext,
        public_key,
        {"bank_code": bank, "sheet_id": sheet_id, "profile": profile, "month": sheet.month},
    )
    if not was_sent:
        await _announce(app, sheet_id)
    filename = f"payroll-{sheet.project_id}-{sheet.month}-{sheet_id}.bank.json"
    return Response(
        sealed,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/v1/payroll/sheets/{sheet_id:int}/bank-return",
    response_model=ReturnImported,
    openapi_extra=_FILE_BODY,
)
async def post_bank_return(
    sheet_id: RowId, request: Request, who: PayrollOfficer, app: Services
) -> ReturnImported:
    """Step (d): the bank's return (回盘), CSV ``line_id,result,paid_on,bank_ref,reason``.
    The same file twice changes nothing the second time."""
    sheet = await _officer_sheet(app, who, sheet_id)
    data = await request.body()
    lines = PROFILES[sheet.bank_profile or DEFAULT_PROFILE].parse_return(data)
    async with app.pool.connection() as conn:
        outcome = await import_return(conn, sheet_id, data, lines, actor=actor_of(who))
    if outcome.settled_line_ids:
        await _announce(app, sheet_id, outcome.settled_line_ids)
    return ReturnImported(**outcome.sheet.model_dump(), already_imported=outcome.already_imported)


@router.post(
    "/v1/payroll/sheets/{sheet_id:int}/supplementary", status_code=201, response_model=SheetDetail
)
async def post_supplementary(sheet_id: RowId, who: PayrollOfficer, app: Services) -> SheetDetail:
    """A supplementary sheet (补发) paying the failed lines again, to the cards bound now."""
    await _officer_sheet(app, who, sheet_id)
    async with app.pool.connection() as conn:
        return await create_supplementary(conn, sheet_id, actor=actor_of(who))
