"""Who is calling: a role and the scope it covers (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    REGULATOR = "regulator"
    CONTRACTOR_ADMIN = "contractor_admin"
    LABOUR_OFFICER = "labour_officer"
    SUBCONTRACTOR = "subcontractor"
    WORKER = "worker"


class ScopeKind(StrEnum):
    REGION = "region"
    ENTERPRISE = "enterprise"
    PROJECT = "project"
    WORKER = "worker"


#: The scope each role is bound to: a regulator watches a region, a worker only themself.
SCOPE_OF_ROLE = {
    Role.REGULATOR: ScopeKind.REGION,
    Role.CONTRACTOR_ADMIN: ScopeKind.ENTERPRISE,
    Role.SUBCONTRACTOR: ScopeKind.ENTERPRISE,
    Role.LABOUR_OFFICER: ScopeKind.PROJECT,
    Role.WORKER: ScopeKind.WORKER,
}

#: Roles that may register workers and record entries and exits.
REGISTRARS = frozenset({Role.LABOUR_OFFICER, Role.CONTRACTOR_ADMIN, Role.SUBCONTRACTOR})


@dataclass(frozen=True)
class Principal:
    user_id: int
    login: str
    role: Role
    scope_kind: ScopeKind
    scope_id: str
    must_change_password: bool = False
    # Bumped when the account is disabled or its password or role changes: a token
    # carrying an older version is no longer honoured.
    token_version: int = 0
