"""Administrative region codes (GB/T 2260, the floor): ``450000`` is Guangxi, ``450700``
Qinzhou, ``450702`` its Qinnan district. A region covers every code that starts with its
prefix."""

from __future__ import annotations


def region_prefix(region_code: str) -> str:
    """The code prefix a region covers: ``450000`` → ``45``, ``450700`` → ``4507``."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code
