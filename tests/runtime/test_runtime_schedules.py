import math

import pytest
from pydantic import ValidationError

from runtime.config.run import RunConfig
from runtime.optim.schedules import lr_multiplier, phases


def schedule(**fields: object):
    return RunConfig.model_validate({"schedule": fields}).schedule


def curve(total: int, tokens_per_step: int = 1, peak_lr: float = 1.0,
          **fields: object) -> list[float]:
    expanded = phases(schedule(**fields), total, tokens_per_step, peak_lr)
    return [lr_multiplier(expanded, step) for step in range(total)]


def test_constant_without_warmup_is_flat():
    assert curve(5, kind="constant") == [1.0] * 5
    assert curve(5) == [1.0] * 5  # constant is the default kind


def test_warmup_starts_above_zero_and_reaches_peak_on_its_last_step():
    assert curve(6, kind="constant", warmup=4) == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_lengths_as_fractions_of_the_run_or_as_tokens():
    assert curve(10, kind="constant", warmup=0.2)[:3] == [0.5, 1.0, 1.0]
    # 64 tokens a step: 256 tokens of warmup are 4 steps.
    assert curve(6, tokens_per_step=64, kind="constant", warmup={"tokens": 256}) == \
        [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_linear_decays_to_floor_on_the_last_step():
    assert curve(6, kind="linear", warmup=2, floor=0.2) == pytest.approx(
        [0.5, 1.0, 0.8, 0.6, 0.4, 0.2])
    assert curve(4, kind="linear") == pytest.approx([0.75, 0.5, 0.25, 0.0])


def test_cosine():
    values = curve(5, kind="cosine", warmup=1, floor=0.1)
    expected = [1.0] + [0.1 + 0.9 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(1, 5)]
    assert values == pytest.approx(expected)


@pytest.mark.parametrize("shape, decayed", [
    ("linear", [0.75, 0.5, 0.25, 0.0]),
    ("cosine", [(1 + math.cos(math.pi * k / 4)) / 2 for k in range(1, 5)]),
    ("1-sqrt", [1 - math.sqrt(k / 4) for k in range(1, 5)]),
    ("rex", [(1 - k / 4) / (1 - k / 8) for k in range(1, 5)]),
])
def test_wsd_shapes(shape, decayed):
    values = curve(10, kind="wsd", warmup=2, decay=4, decay_shape=shape)
    assert values[:6] == [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert values[6:] == pytest.approx(decayed, abs=1e-12)


def test_exponential_decay_moves_by_a_constant_factor_to_the_floor():
    values = curve(6, kind="wsd", decay=4, decay_shape="exponential", floor=0.01)
    assert values == pytest.approx([1.0, 1.0, 0.01 ** 0.25, 0.01 ** 0.5, 0.01 ** 0.75, 0.01])
    with pytest.raises(ValidationError, match="exponential"):
        schedule(kind="wsd", decay_shape="exponential")  # floor 0 cannot be reached


def test_wsd_defaults_decay_over_last_fifth_to_floor():
    assert curve(10, kind="wsd", floor=0.5) == pytest.approx([1.0] * 8 + [0.75, 0.5])


def test_rex():
    z = [k / 4 for k in range(1, 5)]
    assert curve(4, kind="rex", floor=0.2) == pytest.approx(
        [0.2 + 0.8 * (1 - t) / (1 - t / 2) for t in z])


def test_inverse_sqrt_after_warmup_then_cooldown():
    values = curve(12, kind="inverse-sqrt", warmup=4, decay=2)
    assert values[:4] == [0.25, 0.5, 0.75, 1.0]
    # fairseq's sqrt(warmup / t) for t = 5..10 (1-based steps).
    assert values[4:10] == pytest.approx([math.sqrt(4 / t) for t in range(5, 11)])
    assert values[10:] == pytest.approx([values[9] / 2, 0.0])


def test_power_follows_the_token_law_under_the_peak():
    # lr = min(peak, a * n ** b) with n the tokens trained on, 100 tokens a step.
    a, b, peak = 2.0, -0.51, 0.05
    values = curve(30, tokens_per_step=100, peak_lr=peak, kind="power", a=a, warmup=2, decay=5)
    law = [min(1.0, a * ((s + 1) * 100) ** b / peak) for s in range(30)]
    assert values[1] == pytest.approx(law[1])          # the warmup climbs onto the curve
    assert values[2:25] == pytest.approx(law[2:25])
    assert values[-1] == 0.0 and values[24] > values[25] > values[28]


def test_infinite_warmup_cooldown_plateau_anneal():
    values = curve(20, kind="infinite", warmup=2, cooldown=4, plateau=0.4, anneal=4)
    assert values[:2] == [0.5, 1.0]
    assert values[5] == pytest.approx(0.4) and values[2] > values[3] > values[4] > 0.4
    assert values[6:16] == pytest.approx([0.4] * 10)
    assert values[16:] == pytest.approx([0.3, 0.2, 0.1, 0.0])


def test_cycles_rewarm_from_the_floor_to_a_decaying_peak():
    values = curve(12, kind="cycles", cycles=2, warmup=2, decay_shape="linear",
                   floor=0.2, peak_decay=0.5)
    assert values[:6] == pytest.approx([0.5, 1.0, 0.8, 0.6, 0.4, 0.2])
    assert values[6:] == pytest.approx([0.35, 0.5, 0.425, 0.35, 0.275, 0.2])


def test_explicit_phases_chain_from_the_previous_end():
    values = curve(8, kind="phases", phases=[
        {"steps": 2},                                  # warmup 0 -> 1
        {"steps": 2, "end": 0.5},                      # decay 1 -> 0.5
        {"steps": 2, "start": 1.0, "end": 1.0},        # rewarm at once to 1 and hold
    ])
    # After the last phase the multiplier holds at its end.
    assert values == pytest.approx([0.5, 1.0, 0.75, 0.5, 1.0, 1.0, 1.0, 1.0])


def test_an_empty_phase_still_sets_the_level():
    assert curve(3, kind="phases", phases=[{"steps": 0, "end": 0.5}]) == [0.5, 0.5, 0.5]


def test_fractions_of_the_run_round_half_up():
    assert curve(10, kind="constant", warmup=0.05)[:2] == [1.0, 1.0]
    assert curve(10, kind="constant", warmup=0.25)[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_fractional_phases_cover_the_run_exactly():
    expanded = phases(schedule(kind="phases", phases=[{"steps": 0.5}, {"steps": 0.5}]), 3)
    assert sum(p.steps for p in expanded) == 3


def test_a_field_the_kind_does_not_take_is_an_error():
    with pytest.raises(ValidationError, match="decay"):
        schedule(kind="cosine", decay=0.1)
    with pytest.raises(ValidationError, match="does not take end"):
        schedule(kind="phases", phases=[{"steps": 3, "shape": "inverse-sqrt", "end": 0.1,
                                         "timescale": 2}])


def test_schedule_longer_than_the_run_is_an_error():
    with pytest.raises(ValueError, match="span 12 steps but the run has 10"):
        phases(schedule(kind="phases", phases=[{"steps": 6}, {"steps": 6}]), 10)
    with pytest.raises(ValueError, match="do not fit"):
        phases(schedule(kind="wsd", warmup=5, decay=6), 10)
    with pytest.raises(ValueError, match="warmup"):
        phases(schedule(kind="cosine", warmup=11), 10)
