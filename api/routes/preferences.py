"""A staff account's notification preferences: channels, addresses, quiet hours."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.preferences import load_preferences, save_preferences
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, Services
from api.identity import validate_mobile
from infra.errors import ForbiddenError

router = APIRouter(tags=["alerts"])


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channels: list[str] = Field(default_factory=list, max_length=2)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None

    @field_validator("channels")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - {"email", "sms"})
        if unknown:
            raise ValueError(f"unknown channel {unknown[0]!r}: email or sms")
        return sorted(set(value))

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return None if value is None else validate_mobile(value, field="phone")

    @model_validator(mode="after")
    def _complete(self) -> PreferencesIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end go together")
        if "email" in self.channels and not self.email:
            raise ValueError("the email channel needs an email address")
        if "sms" in self.channels and not self.phone:
            raise ValueError("the sms channel needs a phone number")
        return self


class PreferencesView(BaseModel):
    channels: list[str]
    email: str | None
    phone: str | None
    quiet_start: str | None = Field(description="HH:MM, Beijing time")
    quiet_end: str | None


def _staff(who: Principal) -> int:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers get notifications in the app, on their own channel")
    return who.user_id


@router.get("/v1/me/notification-preferences", response_model=PreferencesView)
async def get_preferences(who: Caller, app: Services) -> PreferencesView:
    async with app.pool.connection() as conn:
        return PreferencesView(**await load_preferences(conn, _staff(who)))


@router.put("/v1/me/notification-preferences", response_model=PreferencesView)
async def put_preferences(wanted: PreferencesIn, who: Caller, app: Services) -> PreferencesView:
    async with app.pool.connection() as conn:
        stored = await save_preferences(conn, _staff(who), **wanted.model_dump())
    return PreferencesView(**stored)
