"""Bearer tokens for people: a signed JWT (HS256) carrying the principal's role and scope."""

from __future__ import annotations

import time

import jwt

from api.auth.principal import Principal, Role, ScopeKind
from infra.errors import AuthenticationError

_ALGORITHM = "HS256"
_ISSUER = "sitepulse"


class TokenIssuer:
    def __init__(self, secret: str, *, ttl_s: int) -> None:
        self._secret = secret
        self._ttl_s = ttl_s

    def issue(self, principal: Principal, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": _ISSUER,
            "sub": str(principal.user_id),
            "login": principal.login,
            "role": principal.role.value,
            "scope_kind": principal.scope_kind.value,
            "scope_id": principal.scope_id,
            "pwd_change": principal.must_change_password,
            "ver": principal.token_version,
            "iat": issued,
            "exp": issued + self._ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; raises :class:`AuthenticationError` with why not."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            return Principal(
                user_id=int(claims["sub"]),
                login=str(claims["login"]),
                role=Role(claims["role"]),
                scope_kind=ScopeKind(claims["scope_kind"]),
                scope_id=str(claims["scope_id"]),
                must_change_password=bool(claims["pwd_change"]),
                token_version=int(claims.get("ver", 0)),
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("token expired: log in again") from None
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
            raise AuthenticationError(f"invalid token: {type(exc).__name__}") from None


def viewer_token(secret: str, project_id: str, *, ttl_s: int = 3600) -> str:
    """A token for watching one project's live feed (tests, benchmarks, tools)."""
    who = Principal(
        user_id=0,
        login=f"viewer-{project_id}",
        role=Role.LABOUR_OFFICER,
        scope_kind=ScopeKind.PROJECT,
        scope_id=project_id,
        must_change_password=False,
    )
    return TokenIssuer(secret, ttl_s=ttl_s).issue(who)
