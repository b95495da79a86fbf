"""Employment confirmation (聘用信息确认): the only writer of ``employment_answers``.

A roster entry's terms are what the worker is asked to confirm: the project, the employer,
the team and trade, the entry date and the latest labour contract. The answer keeps the
terms it was given to; when they change, the entry asks again (``changed``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from api.mobile.region_duties import employment_regions
from api.stores.audit import audit
from api.stores.rows import reading
from infra.errors import ConflictError, NotFoundError


class Answer(StrEnum):
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class EmploymentStatus(StrEnum):
    PENDING = "pending"  # never answered
    CHANGED = "changed"  # answered, but the terms have changed since
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class Employment(BaseModel):
    membership_id: int
    project_id: str
    project_name: str
    terms: dict[str, Any] = Field(description="employer, team, trade, entry date, contract")
    terms_digest: str = Field(description="send it back with the answer")
    status: EmploymentStatus
    note: str
    answered_at: datetime | None


# The terms as one JSON value, so that an answer compares with them in one expression.
_TERMS = (
    "jsonb_build_object('employer', coalesce(ce.name, te.name), 'team', t.name,"
    " 'trade', coalesce(nullif(t.trade, ''), w.trade), 'entry_date', m.entry_date,"
    " 'contract', CASE WHEN c.contract_id IS NULL THEN NULL ELSE jsonb_build_object("
    "  'number', c.number, 'kind', c.kind, 'wage_basis', c.wage_basis,"
    "  'wage_amount', c.wage_amount::text, 'starts_on', c.starts_on, 'ends_on', c.ends_on) END)"
)
_ENTRIES = (
    "SELECT m.membership_id, m.project_id, p.name AS project_name, m.worker_id,"
    f" w.name AS worker_name, {_TERMS} AS terms,"
    " a.terms AS answered_terms, a.answer, a.note, a.answered_at"
    " FROM memberships m JOIN projects p ON p.project_id = m.project_id"
    " JOIN workers w ON w.worker_id = m.worker_id"
    " LEFT JOIN teams t ON t.team_id = m.team_id"
    " LEFT JOIN enterprises te ON te.enterprise_id = t.enterprise_id"
    " LEFT JOIN LATERAL (SELECT * FROM labour_contracts lc WHERE lc.worker_id = m.worker_id"
    "  AND lc.project_id = m.project_id ORDER BY lc.signed_on DESC, lc.contract_id DESC"
    "  LIMIT 1) c ON true"
    " LEFT JOIN enterprises ce ON ce.enterprise_id = c.enterprise_id"
    " LEFT JOIN employment_answers a ON a.membership_id = m.membership_id"
    " WHERE m.status = 'active' AND p.region_code LIKE ANY (%(regions)s)"
)


class _Entry(BaseModel):
    membership_id: int
    project_id: str
    project_name: str
    worker_id: int
    worker_name: str
    terms: dict[str, Any]
    answered_terms: dict[str, Any] | None
    answer: Answer | None
    note: str | None
    answered_at: datetime | None

    def shown(self) -> Employment:
        if self.answer is None:
            status = EmploymentStatus.PENDING
        elif self.answered_terms != self.terms:
            status = EmploymentStatus.CHANGED
        else:
            status = EmploymentStatus(self.answer.value)
        return Employment(
            membership_id=self.membership_id,
            project_id=self.project_id,
            project_name=self.project_name,
            terms=self.terms,
            terms_digest=terms_digest(self.terms),
            status=status,
            note=self.note or "",
            answered_at=self.answered_at,
        )


def terms_digest(terms: dict[str, Any]) -> str:
    """A short fingerprint of the terms the worker was shown (pure)."""
    canonical = json.dumps(terms, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _params(**more: Any) -> dict[str, Any]:
    return {"regions": [prefix + "%" for prefix in employment_regions()], **more}


async def my_employment(conn: AsyncConnection[Any], worker_id: int) -> list[Employment]:
    """The worker's roster entries in regions that ask for confirmation, unanswered first."""
    cursor = await reading(conn, _Entry).execute(
        _ENTRIES + " AND m.worker_id = %(w)s ORDER BY m.membership_id", _params(w=worker_id)
    )
    entries = [entry.shown() for entry in await cursor.fetchall()]
    return sorted(entries, key=lambda e: e.status in (EmploymentStatus.CONFIRMED,))


class Tally(BaseModel):
    """Where a project's roster stands (the whole roster, not one page)."""

    roster: int
    to_answer: int = Field(description="never answered, or the terms changed since")
    disputed: int
    without_health_check: int


async def answers_in(
    conn: AsyncConnection[Any], project_id: str, *, limit: int, offset: int
) -> list[tuple[int, str, Employment]]:
    """Each worker of the project's roster with their answer, those still to answer (or
    to answer again) first, then the disputed: (worker id, name, employment)."""
    cursor = await reading(conn, _Entry).execute(
        f"SELECT * FROM ({_ENTRIES} AND m.project_id = %(p)s) e"
        " ORDER BY CASE WHEN answer IS NULL OR answered_terms <> terms THEN 0"
        " WHEN answer = 'disputed' THEN 1 ELSE 2 END, membership_id"
        " LIMIT %(limit)s OFFSET %(offset)s",
        _params(p=project_id, limit=limit, offset=offset),
    )
    return [(e.worker_id, e.worker_name, e.shown()) for e in await cursor.fetchall()]


async def tally_of(conn: AsyncConnection[Any], project_id: str) -> Tally:
    cursor = await reading(conn, Tally).execute(
        "SELECT count(*) AS roster,"
        " count(*) FILTER (WHERE answer IS NULL OR answered_terms <> terms) AS to_answer,"
        " count(*) FILTER (WHERE answer = 'disputed' AND answered_terms = terms) AS disputed,"
        " count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM health_checks h"
        "  WHERE h.worker_id = e.worker_id)) AS without_health_check"
        f" FROM ({_ENTRIES} AND m.project_id = %(p)s) e",
        _params(p=project_id),
    )
    tally = await cursor.fetchone()
    assert tally is not None  # an aggregate always has its row
    return tally


async def answer_employment(
    conn: AsyncConnection[Any],
    worker_id: int,
    membership_id: int,
    *,
    answer: Answer,
    note: str,
    digest: str,
    actor: str,
) -> Employment:
    """Record the answer to the terms the worker saw (``digest``); terms changed meanwhile
    are refused, so nobody confirms what they were not shown."""
    async with conn.transaction():
        await conn.execute(
            "SELECT 1 FROM memberships WHERE membership_id = %s FOR UPDATE", (membership_id,)
        )
        cursor = await reading(conn, _Entry).execute(
            _ENTRIES + " AND m.worker_id = %(w)s AND m.membership_id = %(m)s",
            _params(w=worker_id, m=membership_id),
        )
        entry = await cursor.fetchone()
        if entry is None:
            raise NotFoundError(f"no employment {membership_id} of yours asks for confirmation")
        if terms_digest(entry.terms) != digest:
            raise ConflictError(
                "the terms have changed since they were shown",
                message_zh="聘用信息已变更，请刷新后重新确认",
            )
        upserted = await conn.execute(
            "INSERT INTO employment_answers (membership_id, worker_id, terms, answer, note)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (membership_id) DO UPDATE SET"
            " terms = excluded.terms, answer = excluded.answer, note = excluded.note,"
            " answered_at = now() RETURNING answered_at",
            (membership_id, worker_id, Jsonb(entry.terms), answer.value, note),
        )
        answered = await upserted.fetchone()
        assert answered is not None  # an upsert always returns its row
        await audit(
            conn,
            actor=actor,
            action=f"employment.{answer.value}",
            entity="membership",
            entity_id=str(membership_id),
            reason=note,
        )
    answered_entry = entry.model_copy(
        update={
            "answered_terms": entry.terms,
            "answer": answer,
            "note": note,
            "answered_at": answered[0],
        }
    )
    return answered_entry.shown()
