"""Events in time: time_to (which arm reaches a target loss sooner) and event_order (which of
two events comes first in a run), diverged runs read up to their divergence."""

import math

import pytest
from report_synthetic import Completed, Diverged, evaluate, records, sweep_spec

GRID = {"schedule.kind": ["cosine", "constant"], "model.width": [64, 128]}
FAST, SLOW = {"schedule.kind": "cosine"}, {"schedule.kind": "constant"}
STEPS = range(10, 401, 10)


def falling(tau: float, steps=STEPS) -> list[dict]:
    """val_loss = 2 + 2 exp(-step / tau), logged every 10 steps, with tokens."""
    return records(steps, lr=lambda s: 1e-3, tokens=lambda s: 2048 * s,
                   val_loss=lambda s: 2 + 2 * math.exp(-s / tau))


def run_curve(config, tau_fast=100.0, tau_slow=200.0):
    tau = tau_fast if config.schedule.kind == "cosine" else tau_slow
    return Completed(final={"val_loss": 2.0}, records=falling(tau))


def time_to(**args):
    return {"id": "cosine-sooner", "statement": "Cosine reaches 2.5 sooner.",
            "check": {"kind": "time_to", "event": {"metric": "val_loss", "below": 2.5},
                      "faster": FAST, "slower": SLOW, **args}}


def run(experiment, claim, outcome=run_curve, seeds=(0,)):
    return evaluate(experiment(sweep_spec(GRID, [claim], seeds), outcome))


@pytest.mark.parametrize("factor, verdict", [
    (1.5, "supported"),          # twice as fast, clearly more than 1.5
    (3.0, "not supported"),      # clearly less than 3
    (2.0, "inconclusive"),       # exactly 2, within the logging's resolution
])
def test_the_ratio_of_times_is_weighed_against_their_resolution(experiment, factor, verdict):
    result = run(experiment, time_to(factor=factor))
    assert result.verdict == verdict, result.summary
    # 2 + 2 exp(-t / 100) = 2.5 at t = 100 ln 4, read between steps logged 10 apart.
    assert result.numbers["step the faster side reaches it, at model.width=64"] == \
        pytest.approx(100 * math.log(4), abs=1)
    assert result.numbers["its uncertainty, faster, at model.width=64"] == \
        pytest.approx(10 / math.sqrt(12))
    assert result.numbers["ratio of the times at model.width=128"] == pytest.approx(2, rel=0.01)


def test_times_in_tokens(experiment):
    result = run(experiment, time_to(unit="tokens", factor=1.5))
    assert result.verdict == "supported"
    assert result.numbers["tokens the slower side reaches it, at model.width=64"] == \
        pytest.approx(2048 * 200 * math.log(4), rel=0.01)


def test_a_slower_side_that_never_gets_there_takes_longer_than_its_curves(experiment):
    # Below 2.2: cosine at step 230, constant not within its 400 steps.
    claim = time_to(event={"metric": "val_loss", "below": 2.2}, factor=1.5)
    result = run(experiment, claim)
    assert result.verdict == "supported"
    assert result.numbers["step the slower side reaches it, at model.width=64"] == "not by 400"


def test_a_faster_side_that_diverges_first_never_gets_there(experiment):
    def outcome(config):
        if config.schedule.kind == "cosine" and config.model.width == 128:
            return Diverged(falling(100.0, range(10, 61, 10)), at=60)
        return run_curve(config)

    result = run(experiment, time_to(factor=1.5), outcome)
    assert result.verdict == "not supported"
    assert result.numbers["runs diverged"] == 1
    assert "at 1 of 2 points" in result.summary


def test_seeds_that_disagree_on_reaching_it_are_inconclusive(experiment):
    def outcome(config):
        if config.schedule.kind == "constant" and config.seed == 1:
            return Completed(final={"val_loss": 3.0}, records=falling(1e6))
        return run_curve(config)

    result = run(experiment, time_to(factor=1.5), outcome, seeds=(0, 1))
    assert result.verdict == "inconclusive"
    assert "some seeds reach the event and some do not" in result.summary


def spiking(grad_at: int, loss_at: int, every: int = 1) -> Diverged:
    """A run whose gradient norm blows up from `grad_at` and its loss from `loss_at`, logged
    every `every` steps, diverging at the later of the two."""
    end = max(grad_at, loss_at)
    return Diverged(records([*range(every, end, every), end], lr=lambda s: 1e-2,
                            grad_norm=lambda s: 1.0 if s < grad_at else 50.0,
                            train_loss=lambda s: 3.0 if s < loss_at else 20.0), at=end)


def calm() -> Completed:
    return Completed(final={"val_loss": 3.0}, records=records(
        range(1, 41), lr=lambda s: 1e-3, grad_norm=lambda s: 1.0, train_loss=lambda s: 3.0))


def order_claim(**args):
    return {"id": "grad-first", "statement": "The gradient norm spikes before the loss.",
            "check": {"kind": "event_order", "first": {"metric": "grad_norm", "above": 10},
                      "then": {"metric": "train_loss", "above": 6}, **args}}


def order(experiment, spikes, **args):
    """Widths 64 and 128 at two learning rates; the high one spikes as `spikes(width)`."""
    grid = {"optimizer.lr": [1e-3, 1e-2], "model.width": [64, 128]}
    return evaluate(experiment(sweep_spec(grid, [order_claim(**args)]),
                               lambda c: spikes(c.model.width) if c.optimizer.lr == 1e-2
                               else calm()))


def test_the_gradient_norm_spiking_first_is_supported(experiment):
    result = order(experiment, lambda width: spiking(20, 30))
    assert result.verdict == "supported", result.summary
    assert result.numbers["runs where the second event happens"] == 2
    assert result.numbers["smallest lead (steps)"] == pytest.approx(10, abs=1)


def test_the_loss_spiking_first_anywhere_is_not_supported(experiment):
    result = order(experiment, lambda width: spiking(20, 30) if width == 64 else spiking(30, 20))
    assert result.verdict == "not supported"
    assert "In 1 of 2 runs where train_loss >= 6 happens" in result.summary


def test_events_closer_than_the_logging_are_inconclusive(experiment):
    # Logged every 10 steps, spikes 2 steps apart fall between the same two records.
    result = order(experiment, lambda width: spiking(22, 24, every=10))
    assert result.verdict == "inconclusive"
    assert "not logged finely enough" in result.summary


def test_no_run_showing_the_second_event_is_inconclusive(experiment):
    result = order(experiment, lambda width: calm())
    assert result.verdict == "inconclusive"
    assert result.summary == ("No run shows train_loss >= 6, so none can say what comes "
                              "first.")
