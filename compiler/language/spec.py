"""The spec language's models: what a composed YAML spec may say, validated by pydantic v2.

`base` is a full RunConfig (the job contract from runtime/config/run.py); `sweep` overrides it
along dotted paths (sweep.py); `claims` name a check with typed arguments (check_args.py);
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
    """the paper's title, as the report's pages show it"""
    url: str | None = None
    """where to read the paper (http or https)"""


class Claim(SpecModel):
    id: Identifier
    """the claim's name within the spec: names its report page"""
    statement: str
    """the claim in the paper's words, as the report shows it above the verdict"""
    check: CheckConfig
    """the check that decides the claim: a `kind` and its arguments"""
    conclusion: str | None = None
    """what the runs showed, written after they ran, shown under the verdict: why a claim is
    not supported or inconclusive, the scale it ran at and its CPU time, and whether that
    scale reached the paper's regime"""


class Spec(SpecModel):
    name: Identifier
    """the spec's name: names its plan and report pages"""
    paper: Paper | None = None
    """the paper whose claims this checks"""
    base: RunConfig = RunConfig()
    """one run: what the sweep overrides"""
    sweep: Sweep = Sweep()
    """the runs: base with these overrides"""
    stages: Stages = Field(default_factory=list)
    """dependent runs, each starting from a checkpoint of the one before"""
    resources: Resources = Resources()
    """what each run needs on a cluster"""
    claims: list[Claim] = Field(default_factory=list)
    """claims and their checks"""
