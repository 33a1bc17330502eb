"""The spec language's models: what a composed YAML spec may say, validated by pydantic v2.

`base` is a full RunConfig (the job contract from runtime/config/run.py); `sweep` overrides it
along dotted paths (sweep_spec.py); `claims` name a check with typed arguments (checks.py);
`resources` says what each run needs on a cluster (resources.py). `extends` and `profiles`
are resolved before validation (compose.py), so a Spec never holds them.
"""

from __future__ import annotations

from pydantic import Field

from compiler.language.check_args import CheckConfig
from compiler.language.resources import Resources
from compiler.language.spec_base import Identifier, SpecModel
from compiler.language.sweep import Sweep
from compiler.planning.stages import Stages
from runtime.config.run import RunConfig


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
                                       "the one before (compiler/planning/stages.py)")
    resources: Resources = Field(Resources(), description="what each run needs on a cluster")
    claims: list[Claim] = Field(default_factory=list, description="claims and their checks")
