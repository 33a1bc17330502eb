"""The typed arguments of each claim check.

The compiler owns the spec language, so it validates a check's arguments; the report owns
what a check means (report/checks.py implements each kind by the same name).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class CheckArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArgminStable(CheckArgs):
    """The value of `over` that minimises `metric` moves by at most `tolerance` (in log10
    units of `over`) across the values of `across`, among runs matching `where`."""

    kind: Literal["argmin_stable"] = "argmin_stable"
    metric: str = Field(description="a final metric, e.g. final.val_loss")
    over: str = Field(description="dotted config path of the axis minimised over, e.g. optimizer.lr")
    across: str = Field(description="dotted config path the optimum must not move with, e.g. model.width")
    where: dict[str, Any] = Field(default_factory=dict, description="config path -> value filter")
    tolerance: Annotated[float, Field(gt=0)] = Field(
        0.5, description="allowed spread of the optimum, in log10 units of `over`"
    )


CheckConfig = Annotated[Union[ArgminStable], Field(discriminator="kind")]
