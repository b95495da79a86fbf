"""A staff account's notification preferences: channels, addresses, quiet hours."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alerts.preferences import load_preferences, save_preferences
from api.http import handles_errors, json_object, principal_of
from api.identity import validate_mobile
from api.principal import ScopeKind
from api.projects import parse_model
from infra.errors import ForbiddenError


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


def _staff(request: Request) -> int:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers get notifications in the app, on their own channel")
    return who.user_id


async def get_preferences(request: Request) -> Response:
    user_id = _staff(request)
    async with request.app.state.pool.connection() as conn:
        return JSONResponse(await load_preferences(conn, user_id))


async def put_preferences(request: Request) -> Response:
    user_id = _staff(request)
    wanted: PreferencesIn = parse_model(PreferencesIn, await json_object(request))
    async with request.app.state.pool.connection() as conn:
        stored = await save_preferences(conn, user_id, **wanted.model_dump())
    return JSONResponse(stored)


routes = [
    Route("/v1/me/notification-preferences", handles_errors(get_preferences), methods=["GET"]),
    Route("/v1/me/notification-preferences", handles_errors(put_preferences), methods=["PUT"]),
]
