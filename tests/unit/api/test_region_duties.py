"""Which regions ask their workers for what, by region code prefix."""

from __future__ import annotations

from api.mobile.region_duties import NONE, WorkerDuties, duties_for, employment_regions
from api.stores.employment import terms_digest


def test_shanghai_asks_for_both_and_other_regions_for_neither() -> None:
    both = WorkerDuties(employment_confirmation=True, health_check=True)
    assert duties_for("310101") == both
    assert duties_for("450702") == NONE
    assert duties_for("131001") == NONE  # starts with 3, but not Shanghai
    assert employment_regions() == ["31"]


def test_the_terms_digest_follows_every_value_but_not_the_key_order() -> None:
    terms = {"trade": "木工", "contract": {"wage_amount": "380.00"}, "team": None}
    reordered = {"team": None, "contract": {"wage_amount": "380.00"}, "trade": "木工"}
    assert terms_digest(terms) == terms_digest(reordered)
    assert terms_digest(terms) != terms_digest({**terms, "contract": {"wage_amount": "400.00"}})
    assert len(terms_digest(terms)) == 16
