"""PATCH bodies: which fields were sent, and the SQL ``SET`` clause for them.

Column names come from the patch model's declared fields (``extra="forbid"``), never from
the request, so building the clause from them is safe.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from infra.errors import FieldProblem, InvalidInputError


def changed_fields(patch: BaseModel, *, clearable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields the body set; ``null`` is accepted only for the ``clearable`` ones."""
    changes = patch.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInputError([FieldProblem("body", "nothing to change", "没有需要修改的字段")])
    cleared = sorted(name for name, value in changes.items() if value is None)
    refused = [name for name in cleared if name not in clearable]
    if refused:
        raise InvalidInputError(
            [FieldProblem(name, "cannot be cleared", "此字段不能为空") for name in refused]
        )
    return changes


def set_clause(changes: dict[str, Any]) -> str:
    return ", ".join(f"{column} = %({column})s" for column in changes)
