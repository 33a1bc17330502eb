"""The typed arguments of each claim check.

The compiler owns the spec language, so it validates a check's arguments; the report owns
what a check means (report/checks.py implements each kind by the same name).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from compiler.config_paths import ConfigPath

_FINAL_METRIC = re.compile(r"final\.[A-Za-z_][A-Za-z0-9_./-]*")


def _final_metric(name: str) -> str:
    if not _FINAL_METRIC.fullmatch(name):
        raise ValueError(f"expected a final metric like 'final.val_loss', found {name!r}")
    return name


# A metric from a run's summary: `final.<name>`, e.g. final.val_loss.
FinalMetric = Annotated[str, AfterValidator(_final_metric)]


class CheckArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArgminStable(CheckArgs):
    """The value of `over` that minimises `metric` moves by at most `tolerance` (in log10
    units of `over`) across the values of `across`, among runs matching `where`."""

    kind: Literal["argmin_stable"] = "argmin_stable"
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    over: ConfigPath = Field(
        description="dotted config path of the axis minimised over, e.g. optimizer.lr")
    across: ConfigPath = Field(
        description="dotted config path the optimum must not move with, e.g. model.width")
    where: dict[ConfigPath, Any] = Field(
        default_factory=dict, description="config path -> value filter")
    tolerance: Annotated[float, Field(gt=0)] = Field(
        0.5, description="allowed spread of the optimum, in log10 units of `over`"
    )

    @model_validator(mode="after")
    def _two_axes(self) -> ArgminStable:
        if self.over == self.across:
            raise ValueError(
                f"over and across must be different config paths, both are {self.over!r}")
        return self


CheckConfig = Annotated[Union[ArgminStable], Field(discriminator="kind")]
