"""Our schedules against `transformers`' where the definitions coincide.

Their LambdaLR is stepped after each update, so update k (from 1) uses their lambda(k - 1);
ours uses their lambda(k) (runtime/optim/schedules.py says why). Their WSD warmup starts from
min_lr_ratio and ours from 0, so with a floor only the stable and decay parts are compared.
"""

import pytest
import torch

from runtime.config.run import RunConfig
from runtime.optim.schedules import lr_multiplier, phases

transformers = pytest.importorskip("transformers")

TOTAL, WARMUP = 40, 6


def ours(total: int = TOTAL, **fields: object) -> list[float]:
    expanded = phases(RunConfig.model_validate({"schedule": fields}).schedule, total)
    return [lr_multiplier(expanded, step) for step in range(total)]


def theirs(make, total: int = TOTAL, **kwargs: object) -> list[float]:
    """Their multiplier for each of our steps: lambda(step + 1)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = make(optimizer, **kwargs)
    return [scheduler.lr_lambdas[0](step + 1) for step in range(total)]


def test_linear_with_warmup():
    assert ours(kind="linear", warmup=WARMUP) == pytest.approx(
        theirs(transformers.get_linear_schedule_with_warmup, num_warmup_steps=WARMUP,
               num_training_steps=TOTAL), abs=1e-12)


def test_cosine_with_warmup_and_floor():
    assert ours(kind="cosine", warmup=WARMUP) == pytest.approx(
        theirs(transformers.get_cosine_schedule_with_warmup, num_warmup_steps=WARMUP,
               num_training_steps=TOTAL), abs=1e-12)
    assert ours(kind="cosine", warmup=WARMUP, floor=0.1) == pytest.approx(
        theirs(transformers.get_cosine_with_min_lr_schedule_with_warmup,
               num_warmup_steps=WARMUP, num_training_steps=TOTAL, min_lr_rate=0.1), abs=1e-12)


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_wsd(shape):
    decay = 10
    assert ours(kind="wsd", warmup=WARMUP, decay=decay, decay_shape=shape) == pytest.approx(
        theirs(transformers.get_wsd_schedule, num_warmup_steps=WARMUP, num_decay_steps=decay,
               num_training_steps=TOTAL, decay_type=shape), abs=1e-12)
    with_floor = ours(kind="wsd", warmup=WARMUP, decay=decay, decay_shape=shape, floor=0.1)
    reference = theirs(transformers.get_wsd_schedule, num_warmup_steps=WARMUP,
                       num_decay_steps=decay, num_training_steps=TOTAL, decay_type=shape,
                       min_lr_ratio=0.1)
    assert with_floor[WARMUP:] == pytest.approx(reference[WARMUP:], abs=1e-12)
    # Where they differ: their warmup starts from the floor.
    assert with_floor[0] < reference[0]
