"""Checks on a spec's claims beyond what each field's type says: claim ids used twice, and
values a check compares config values with that the config could never hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from compiler.language.check_values import LoggedMetric, metric_of
from compiler.language.config_paths import field_type, split, value_adapter
from compiler.language.errors import Problem
from compiler.language.metric_names import Logged
from compiler.language.model_paths import alternatives, keys_are_paths
from compiler.language.pydantic_errors import explain
from compiler.language.run_quantities import is_config_path


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


def claim_value_problems(claims: Sequence[BaseModel]) -> list[Problem]:
    """A problem at each value a check compares config values with (its `where`, a side of
    a comparison) that the config field can never have: `{parametrization.kind: muP}`
    would select no run, so it is a mistake, said here rather than as an empty report. A run
    quantity (`summary.n_params`, `N`) is compared with a number."""
    problems = []
    for index, claim in enumerate(claims):
        check = claim.check
        for name, field in type(check).model_fields.items():
            if not any(keys_are_paths(alt) for alt in alternatives(field.annotation)):
                continue
            for path, value in (getattr(check, name) or {}).items():
                problems += _where_value_problems(("claims", index, "check", name, path),
                                                  path, value)
    return problems


def _where_value_problems(where: tuple[str | int, ...], path: str, value: Any) -> list[Problem]:
    """What is wrong with one value of a `where` or an arm: `{one_of: [...]}` lists values,
    each checked like a single one."""
    if isinstance(value, Mapping) and "one_of" in value:
        options = value["one_of"]
        if list(value) != ["one_of"] or not isinstance(options, list) or not options:
            return [Problem(where, "expected {one_of: [value, ...]}: a list of at least one "
                            f"value of {path} and no other key, found {value!r}")]
        return [problem for i, option in enumerate(options)
                for problem in _where_value_problems((*where, "one_of", i), path, option)]
    if not is_config_path(path):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [Problem(where, f"{path} is a number, found {value!r}")]
        return []
    try:
        value_adapter(split(path)).validate_python(value)
    except ValidationError as error:
        return [Problem((*where, *p.path), p.message, p.at_key)
                for p in explain(error, value, field_type(split(path)))]
    return []


def claim_metric_problems(claims: Sequence[BaseModel], logged: Logged) -> list[Problem]:
    """A problem at each metric a check names that none of the planned runs will log (a
    typo, or a measurement the runs leave off), with the closest names they do log."""
    problems = []
    for index, claim in enumerate(claims):
        for path, metric in named_metrics(claim.check, ("claims", index, "check")):
            problem = logged.problem(metric_of(metric))
            if problem:
                problems.append(Problem(path, problem))
    return problems


def named_metrics(value: Any, path: tuple[str | int, ...] = ()
                  ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, metric) of each metric a check names (as written: `min(final.x/*)` stays
    whole), nested argument models included."""
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            inner = getattr(value, name)
            if isinstance(inner, str) and any(isinstance(m, LoggedMetric)
                                              for m in field.metadata):
                yield (*path, name), inner
            else:
                yield from named_metrics(inner, (*path, name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from named_metrics(item, (*path, i))
