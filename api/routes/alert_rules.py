"""The alert thresholds that apply to a region, which its regulators may set."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from alerts.profiles import RuleProfile, profile_for, validate_overrides
from alerts.store import load_overrides, save_overrides
from api.auth.guards import actor_of
from api.auth.principal import Role, ScopeKind
from api.dependencies import Caller, Services
from api.stores.audit import audit
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError
from streams.regions import region_prefix

router = APIRouter(tags=["alerts"])

RegionCode = r"^[0-9]{6}$"


@dataclass(frozen=True)
class RegionRules(RuleProfile):
    """The thresholds in force for ``region`` (defaults, then each enclosing region's)."""

    region: str = ""


def _rules(region: str, overrides: dict[str, dict[str, Any]]) -> RegionRules:
    return RegionRules(**asdict(profile_for(region, overrides)), region=region)


@router.get("/v1/alert-rules", response_model=RegionRules)
async def rule_profile(
    who: Caller,
    app: Services,
    region: Annotated[str | None, Query(pattern=RegionCode, description="default: yours")] = None,
) -> RegionRules:
    """The thresholds that apply to a region (default: the caller's own)."""
    region = region or (who.scope_id if who.scope_kind is ScopeKind.REGION else "")
    async with app.pool.connection() as conn:
        return _rules(region, await load_overrides(conn))


@router.put("/v1/alert-rules/{region}", response_model=RegionRules)
async def set_rule_overrides(
    region: Annotated[str, Path(pattern=RegionCode)],
    values: Annotated[dict[str, Any], Body(description="threshold name -> value; {} removes")],
    who: Caller,
    app: Services,
) -> RegionRules:
    """A regulator sets thresholds for a region inside their own (an empty body removes
    them). The next evaluation uses them; findings record the new version."""
    prefix = region_prefix(region)
    if who.role is not Role.REGULATOR or not prefix.startswith(region_prefix(who.scope_id)):
        raise ForbiddenError(f"only a regulator covering {region} may set its alert thresholds")
    try:
        checked = validate_overrides(values)
    except ValueError as exc:
        raise InvalidInputError([FieldProblem("body", str(exc), "阈值设置不正确")]) from None
    async with app.pool.connection() as conn, conn.transaction():
        await save_overrides(conn, prefix, checked, actor=actor_of(who))
        await audit(
            conn,
            actor=actor_of(who),
            action="alert_rules.set",
            entity="region",
            entity_id=prefix,
            detail=checked,
        )
        return _rules(region, await load_overrides(conn))
