import math

import pytest

from runtime.config import ScheduleConfig
from runtime.schedules import lr_multiplier, phases


def curve(total: int, **schedule: object) -> list[float]:
    expanded = phases(ScheduleConfig.model_validate(schedule), total)
    return [lr_multiplier(expanded, step) for step in range(total)]


def test_constant_without_warmup_is_flat():
    assert curve(5, kind="constant") == [1.0] * 5


def test_warmup_starts_above_zero_and_reaches_peak_on_its_last_step():
    assert curve(6, kind="constant", warmup=4) == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_warmup_as_fraction_of_the_run():
    assert curve(10, kind="constant", warmup=0.2)[:3] == [0.5, 1.0, 1.0]


def test_linear_decays_to_floor_on_the_last_step():
    assert curve(6, kind="linear", warmup=2, floor=0.2) == pytest.approx(
        [0.5, 1.0, 0.8, 0.6, 0.4, 0.2])


def test_linear_defaults_to_zero_floor():
    assert curve(4, kind="linear") == pytest.approx([0.75, 0.5, 0.25, 0.0])


def test_cosine():
    values = curve(5, kind="cosine", warmup=1, floor=0.1)
    expected = [1.0] + [0.1 + 0.9 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(1, 5)]
    assert values == pytest.approx(expected)
    assert values[-1] == pytest.approx(0.1)


@pytest.mark.parametrize("shape, decayed", [
    ("linear", [0.75, 0.5, 0.25, 0.0]),
    ("cosine", [(1 + math.cos(math.pi * k / 4)) / 2 for k in range(1, 5)]),
    ("1-sqrt", [1 - math.sqrt(k / 4) for k in range(1, 5)]),
])
def test_wsd_shapes(shape, decayed):
    values = curve(10, kind="wsd", warmup=2, decay=4, decay_shape=shape)
    assert values[:6] == [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert values[6:] == pytest.approx(decayed)


def test_wsd_defaults_decay_over_last_fifth_to_floor():
    values = curve(10, kind="wsd", floor=0.5)
    assert values == pytest.approx([1.0] * 8 + [0.75, 0.5])


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
    expanded = phases(ScheduleConfig(kind="phases", phases=[{"steps": 0.5}, {"steps": 0.5}]), 3)
    assert sum(p.steps for p in expanded) == 3


def test_schedule_longer_than_the_run_is_an_error():
    with pytest.raises(ValueError, match="span 12 steps but the run has 10"):
        phases(ScheduleConfig(kind="phases", phases=[{"steps": 6}, {"steps": 6}]), 10)
    with pytest.raises(ValueError, match="do not fit"):
        phases(ScheduleConfig(kind="wsd", warmup=5, decay=6), 10)
    with pytest.raises(ValueError, match="warmup"):
        phases(ScheduleConfig(kind="cosine", warmup=11), 10)

