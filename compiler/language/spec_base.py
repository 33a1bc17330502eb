"""The base of every spec model, and the identifiers that name specs, claims and profiles."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.-]*")
MAX_LENGTH = 80


class SpecModel(BaseModel):
    """Unknown keys are errors; instances are immutable."""

    # Attribute docstrings are field descriptions: written once, shown in the editor schema.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def identifier_problem(name: object) -> str | None:
    """Why `name` cannot name a spec, claim or profile, or None when it can."""
    if isinstance(name, str) and len(name) > MAX_LENGTH:
        return f"expected at most {MAX_LENGTH} characters, found {len(name)}"
    if isinstance(name, str) and _IDENTIFIER.fullmatch(name):
        return None
    return ("expected lowercase letters, digits, '_', '.' or '-', starting with a letter or "
            f"digit, found {name!r}")


def _identifier(name: str) -> str:
    problem = identifier_problem(name)
    if problem:
        raise ValueError(problem)
    return name


Identifier = Annotated[str, Field(max_length=MAX_LENGTH), AfterValidator(_identifier)]
