"""Checks on a spec's claims that span claims (each claim's own fields are typed in spec.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.errors import Problem


def duplicate_claim_ids(data: Any) -> list[Problem]:
    """A problem at each claim id already used by an earlier claim.

    Works on the raw data, so it is reported alongside the spec's other problems.
    """
    claims = data.get("claims") if isinstance(data, Mapping) else None
    if not isinstance(claims, list):
        return []
    first_use: dict[str, int] = {}
    problems = []
    for index, claim in enumerate(claims):
        claim_id = claim.get("id") if isinstance(claim, Mapping) else None
        if not isinstance(claim_id, str):
            continue
        if claim_id in first_use:
            first = f"claims[{first_use[claim_id]}]"
            problems.append(Problem(("claims", index, "id"),
                                    f"duplicate claim id {claim_id!r} (first used by {first})"))
        else:
            first_use[claim_id] = index
    return problems
