"""The options of every command that reads a spec (--profile, --set), and compile's
resource flags, which are --set overrides of the spec's `resources` by another name."""

from __future__ import annotations

import argparse
import json

from compiler.language.model_paths import alternatives
from compiler.language.resources import Resources


def add_spec_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", action="append", default=[], dest="profiles",
                        metavar="NAME", help="apply the spec's profile NAME over it "
                                             "(repeatable: applied in the order given)")
    parser.add_argument("--set", action="append", default=[], dest="sets",
                        metavar="PATH=VALUE",
                        help="override a field of the spec after its profiles, e.g. "
                             "base.budget.steps=500 or 'sweep.seeds=[0, 1, 2]' (VALUE is YAML; "
                             "empty or null removes the key; repeatable)")


def add_resource_options(parser: argparse.ArgumentParser) -> None:
    """One flag per field of the spec's `resources` (--account, --gpus-per-node, ...)."""
    group = parser.add_argument_group("resources (override the spec's `resources`)")
    for name, field in Resources.model_fields.items():
        metavar = "N" if int in alternatives(field.annotation) else name.upper()
        group.add_argument(f"--{name.replace('_', '-')}", dest=f"resources_{name}",
                           metavar=metavar, help=(field.description or "").replace("%", "%%"))


def resource_sets(args: argparse.Namespace) -> list[str]:
    """The resource flags given, as `resources.NAME=VALUE` overrides; text fields are quoted
    so that an account named `1234` stays a name."""
    sets = []
    for name, field in Resources.model_fields.items():
        value = getattr(args, f"resources_{name}", None)
        if value is not None:
            takes_text = str in alternatives(field.annotation)
            sets.append(f"resources.{name}={json.dumps(value) if takes_text else value}")
    return sets
