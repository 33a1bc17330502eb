"""The spec language's models: what a composed YAML spec may say, validated by pydantic v2.

`base` is a full RunConfig (the job contract from runtime/config.py); `sweep` overrides it
along dotted paths (sweep_spec.py); `claims` name a check with typed arguments (checks.py);
`resources` says what each run needs on a cluster (resources.py). `extends` and `profiles`
are resolved before validation (compose.py), so a Spec never holds them.
"""

from __future__ import annotations

from pydantic import Field

from compiler.checks import CheckConfig
from compiler.resources import Resources
from compiler.spec_model import Identifier, SpecModel
from compiler.stages import Stages
from compiler.sweep_spec import Sweep
from runtime.config import RunConfig


class Paper(SpecModel):
    title: str
    url: str | None = None


class Claim(SpecModel):
    id: Identifier
    statement: str
    check: CheckConfig


class Spec(SpecModel):
    name: Identifier = Field(description="the spec's name: names its plan and report pages")
    paper: Paper | None = Field(None, description="the paper whose claims this checks")
    base: RunConfig = Field(RunConfig(), description="one run: what the sweep overrides")
    sweep: Sweep = Field(Sweep(), description="the runs: base with these overrides")
    stages: Stages = Field(default_factory=list,
                           description="dependent runs, each starting from a checkpoint of "
                                       "the one before (compiler/stages.py)")
    resources: Resources = Field(Resources(), description="what each run needs on a cluster")
    claims: list[Claim] = Field(default_factory=list, description="claims and their checks")
