from __future__ import annotations

import pytest
from pydantic import BaseModel

from api.stores.patching import changed_fields, set_clause
from infra.errors import InvalidInputError


class Patch(BaseModel):
    name: str | None = None
    phone: str | None = None


def test_only_sent_fields_change_and_only_clearable_ones_may_be_null() -> None:
    assert changed_fields(Patch.model_validate({"name": "李四"})) == {"name": "李四"}
    cleared = changed_fields(Patch.model_validate({"phone": None}), clearable=frozenset({"phone"}))
    assert cleared == {"phone": None}
    with pytest.raises(InvalidInputError) as caught:
        changed_fields(Patch.model_validate({"name": None}), clearable=frozenset({"phone"}))
    assert caught.value.problems[0].field == "name"
    with pytest.raises(InvalidInputError, match="nothing to change"):
        changed_fields(Patch.model_validate({}))


def test_set_clause_names_each_column_once() -> None:
    assert set_clause({"name": "x", "phone": None}) == "name = %(name)s, phone = %(phone)s"
