"""Workers' wage cards (工资卡): the only writer of ``bank_cards``. Numbers are sealed at
rest, found by a keyed digest, shown by their last four digits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.identity import mask_name
from api.payroll.cards import ActiveCard
from api.payroll.sealing import DataSealer
from api.stores.audit import audit
from api.stores.outbox import record_payroll_fact
from api.stores.rows import reading
from infra.errors import ConflictError, NotFoundError


class CardView(BaseModel):
    card_id: int
    bank_code: str
    bank_name: str
    card_masked: str
    holder_name_masked: str
    via: str
    bound_at: datetime
    unbound_at: datetime | None


class _CardRow(BaseModel):
    card_id: int
    bank_code: str
    bank_name: str
    last4: str
    holder_name: str
    via: str
    bound_at: datetime
    unbound_at: datetime | None

    def view(self) -> CardView:
        return CardView(
            card_id=self.card_id,
            bank_code=self.bank_code,
            bank_name=self.bank_name,
            card_masked=f"**** **** **** {self.last4}",
            holder_name_masked=mask_name(self.holder_name),
            via=self.via,
            bound_at=self.bound_at,
            unbound_at=self.unbound_at,
        )


async def card_issuer(conn: AsyncConnection[Any], digits: str) -> str | None:
    cursor = await conn.execute("SELECT bank_code FROM bank_bins WHERE bin = %s", (digits[:6],))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def eligible_banks(conn: AsyncConnection[Any], worker_id: int) -> set[str]:
    """Wage-payment banks of the regions of the worker's active projects."""
    cursor = await conn.execute(
        "SELECT DISTINCT pb.bank_code FROM memberships m"
        " JOIN projects p ON p.project_id = m.project_id"
        " JOIN payroll_banks pb ON p.region_code LIKE pb.region_prefix || '%%'"
        " WHERE m.worker_id = %s AND m.status = 'active'",
        (worker_id,),
    )
    return {str(row[0]) for row in await cursor.fetchall()}


async def active_card(conn: AsyncConnection[Any], worker_id: int) -> ActiveCard | None:
    cursor = await conn.execute(
        "SELECT card_id, bank_code, bound_at FROM bank_cards"
        " WHERE worker_id = %s AND unbound_at IS NULL",
        (worker_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else ActiveCard(int(row[0]), str(row[1]), row[2])


async def last_unbound_at(conn: AsyncConnection[Any], worker_id: int) -> datetime | None:
    cursor = await conn.execute(
        "SELECT max(unbound_at) FROM bank_cards WHERE worker_id = %s", (worker_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else row[0]


async def bind_card(
    conn: AsyncConnection[Any],
    sealer: DataSealer,
    worker_id: int,
    bank_code: str,
    digits: str,
    *,
    replacing: ActiveCard | None,
    face_score: float | None,
    actor: str,
) -> CardView:
    """Bind a card; with ``replacing``, end that card in the same transaction (a rebind)."""
    async with conn.transaction():
        locked = await conn.execute(
            "SELECT name FROM workers WHERE worker_id = %s FOR UPDATE", (worker_id,)
        )
        worker = await locked.fetchone()
        if worker is None:
            raise NotFoundError(f"worker {worker_id} does not exist")
        current = await active_card(conn, worker_id)
        if (current and current.card_id) != (replacing and replacing.card_id):
            raise ConflictError("the bound card changed meanwhile: reload and try again")
        digest = sealer.digest(digits)
        taken = await conn.execute(
            "SELECT worker_id FROM bank_cards WHERE card_digest = %s AND unbound_at IS NULL",
            (digest,),
        )
        if await taken.fetchone() is not None:
            raise ConflictError("this card is already bound", message_zh="该银行卡已被绑定")
        if replacing is not None:
            await conn.execute(
                "UPDATE bank_cards SET unbound_at = clock_timestamp() WHERE card_id = %s",
                (replacing.card_id,),
            )
        cursor = await conn.execute(
            "INSERT INTO bank_cards (worker_id, bank_code, card_sealed, card_digest, last4,"
            " holder_name, via, face_score) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " RETURNING card_id",
            (
                worker_id,
                bank_code,
                sealer.seal(digits),
                digest,
                digits[-4:],
                worker[0],
                "rebind" if replacing else "bind",
                face_score,
            ),
        )
        created = await cursor.fetchone()
        assert created is not None
        card_id = int(created[0])
        detail = {
            "bank_code": bank_code,
            "last4": digits[-4:],
            "replaced": replacing and replacing.card_id,
        }
        await audit(
            conn,
            actor=actor,
            action="card.rebind" if replacing else "card.bind",
            entity="worker",
            entity_id=str(worker_id),
            detail=detail,
        )
        await record_payroll_fact(
            conn,
            "card",
            f"worker:{worker_id}",
            {
                "worker_id": worker_id,
                "card_id": card_id,
                "via": "rebind" if replacing else "bind",
                **detail,
            },
        )
    cards = await cards_of(conn, worker_id)
    return next(card for card in cards if card.card_id == card_id)


async def cards_of(conn: AsyncConnection[Any], worker_id: int) -> list[CardView]:
    """Every card the worker has bound, newest first (the binding history)."""
    cursor = await reading(conn, _CardRow).execute(
        "SELECT c.card_id, c.bank_code, b.name_zh AS bank_name, c.last4, c.holder_name, c.via,"
        " c.bound_at, c.unbound_at FROM bank_cards c JOIN banks b ON b.bank_code = c.bank_code"
        " WHERE c.worker_id = %s ORDER BY c.bound_at DESC",
        (worker_id,),
    )
    return [row.view() for row in await cursor.fetchall()]


async def card_number(
    conn: AsyncConnection[Any], sealer: DataSealer, card_id: int
) -> tuple[str, str]:
    """The full number and the issuing bank of a card (for a bank file only)."""
    cursor = await conn.execute(
        "SELECT card_sealed, bank_code FROM bank_cards WHERE card_id = %s", (card_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"card {card_id} does not exist")
    return sealer.open(bytes(row[0])), str(row[1])
