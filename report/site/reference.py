"""The check reference page, written from the check models themselves
(compiler/language/check_args.py): each kind's rule is its model's docstring (as
report.checks.rule reads it) and each argument's line its field's description, so the site
never drifts from what the spec language accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import yaml
from markupsafe import Markup
from pydantic_core import PydanticUndefined

from compiler.language.check_args import CheckArgs, CheckConfig
from report.checks.rule import generic_rule
from report.site.pages import render_template


@dataclass(frozen=True)
class Argument:
    name: Markup
    default: str                # "required", or the default as YAML would write it
    description: Markup


@dataclass(frozen=True)
class CheckDoc:
    kind: Markup
    rule: Markup
    example: str                # YAML of a claim's `check:` using it
    arguments: list[Argument]


def check_models() -> list[type[CheckArgs]]:
    union, *_ = get_args(CheckConfig)
    return list(get_args(union))


def render_reference() -> str:
    return render_template("checks.md.j2", checks=[_doc(model) for model in check_models()])


def _doc(model: type[CheckArgs]) -> CheckDoc:
    fields = model.model_fields
    kind = Markup(fields["kind"].default)
    # The docstrings and descriptions are this project's own Markdown (`code` spans), so
    # they are passed through rather than escaped like text from specs.
    arguments = [Argument(name=Markup(f"`{name}`"), default=_default(field),
                          description=Markup(field.description or ""))
                 for name, field in fields.items() if name != "kind"]
    rule = Markup(generic_rule(model))
    example = yaml.safe_dump({"check": model.EXAMPLE}, sort_keys=False,
                             default_flow_style=None, width=100)
    return CheckDoc(kind=kind, rule=rule, example=example, arguments=arguments)


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return "{}" if value == {} else str(value)
