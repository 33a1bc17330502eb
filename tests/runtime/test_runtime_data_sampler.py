"""The sampler realises the mix exactly and reproducibly: proportions per phase, curricula,
epochs, resuming and data-parallel shards."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch
from data_helpers import markov, sampler, write_graded_jsonl

from runtime.config.data import DataConfig
from runtime.data.batches import Batches
from runtime.data.sampler import Sampler

THREE = {"a": markov(0), "b": markov(1), "c": markov(2, entropy=1.0)}


def shares(s: Sampler, steps: range) -> np.ndarray:
    counts = sum(np.bincount(s.rows(0, step).sources, minlength=len(s.names))
                 for step in steps)
    return counts / counts.sum()


def test_realised_shares_match_the_weights_in_every_phase_within_one_percent():
    # 10,000 sequences per phase (1,000 steps of 10): weights, then a replay phase, then
    # temperature sampling whose temperature moves over the phase.
    s = sampler(steps=3000, batch_size=10, sources=THREE, phases={
        "first": {"mix": {"a": 0.5, "b": 0.3, "c": 0.2}},
        "replay": {"start": 1000, "mix": {"b": 0.97, "a": 0.03}},
        "tempered": {"start": {"tokens": 320_000}, "temperature": [1.0, 4.0], "over": ["a", "c"]},
    })
    assert [(p.name, p.first, p.end) for p in s.plan.phases] == [
        ("first", 0, 1000), ("replay", 1000, 2000), ("tempered", 2000, 3000)]
    for phase in s.plan.phases:
        realised = shares(s, range(phase.first, phase.end))
        assert np.abs(realised - phase.mean_shares).max() < 0.01, phase.name
    replay = shares(s, range(1000, 2000))
    assert replay[2] == 0 and abs(replay[0] - 0.03) < 0.001
    # Temperature 1 samples in proportion to size; the planned shares say so.
    sizes = np.array([len(p.train.tokens) for p in s.prepared], dtype=float)
    first_tempered = s.plan.phases[2].shares[0]
    assert first_tempered[1] == 0
    assert np.allclose(first_tempered[[0, 2]], sizes[[0, 2]] / sizes[[0, 2]].sum())


def test_small_batches_still_track_small_weights():
    """One sequence in 20 from `b` at batch size 4: every 5th step carries one."""
    s = sampler(steps=200, batch_size=4, sources=THREE, mix={"a": 0.95, "b": 0.05})
    per_step = [int((s.rows(0, step).sources == 1).sum()) for step in range(200)]
    assert sum(per_step) == 40 and max(per_step) == 1


def test_the_batch_of_a_step_is_a_function_of_seed_and_step():
    config = {"steps": 50, "sources": THREE, "mix": {"a": 1, "b": 1, "c": 1}}
    first, second = sampler(**config), sampler(**config)
    for step in range(10):
        first.train_tokens(0, step)  # drawing other batches first changes nothing
    assert np.array_equal(first.train_tokens(0, 30)[0], second.train_tokens(0, 30)[0])
    assert not np.array_equal(first.train_tokens(0, 30)[0], first.train_tokens(0, 31)[0])
    assert not np.array_equal(first.train_tokens(0, 30)[0], first.train_tokens(1, 30)[0])


@pytest.mark.parametrize("order", ["random", "shuffled"])
def test_a_resumed_stream_equals_the_uninterrupted_one(order):
    config = {"steps": 60, "sources": {"a": {**markov(0), "order": order}, "b": markov(1)},
              "mix": {"a": 0.7, "b": 0.3}}
    uninterrupted = sampler(**config)
    stream = [uninterrupted.train_tokens(3, step)[0] for step in range(60)]
    # A new process resuming at step 25 from its checkpoint knows only the step.
    resumed = sampler(**config)
    assert all(np.array_equal(stream[step], resumed.train_tokens(3, step)[0])
               for step in range(25, 60))


def test_ranks_see_disjoint_shards_that_make_up_the_single_process_batch():
    s = sampler(steps=20, batch_size=12, sources=THREE, mix={"a": 0.5, "b": 0.25, "c": 0.25})
    for step in range(20):
        whole = s.rows(1, step)
        ranks = [s.rows(1, step, rank, 2) for rank in (0, 1)]
        drawn = [set(zip(r.sources.tolist(), r.draws.tolist())) for r in ranks]
        assert len(drawn[0]) == len(drawn[1]) == 6 and not drawn[0] & drawn[1]
        assert drawn[0] | drawn[1] == set(zip(whole.sources.tolist(), whole.draws.tolist()))
        tokens = np.concatenate([s.train_tokens(1, step, rank, 2)[0] for rank in (0, 1)])
        assert np.array_equal(tokens, s.train_tokens(1, step)[0])
    with pytest.raises(ValueError, match="cannot be split evenly over 5 ranks"):
        s.rows(0, 0, 0, 5)


def test_source_order_in_the_config_does_not_change_batches():
    forward = sampler(sources=THREE, mix={"a": 0.5, "b": 0.5})
    backward = sampler(sources=dict(reversed(THREE.items())), mix={"b": 0.5, "a": 0.5})
    assert np.array_equal(forward.train_tokens(0, 7)[0], backward.train_tokens(0, 7)[0])


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_curriculum_reads_documents_in_score_order(tmp_path, order):
    graded = write_graded_jsonl(tmp_path / "graded.jsonl")
    source = {"kind": "text", "path": str(graded), "score_field": "quality", "order": order}
    s = sampler(steps=25, seq_len=20, batch_size=4, sources={"graded": source},
                val_fraction=0.1)
    seen = []
    for step in range(25):
        tokens, rows = s.train_tokens(0, step)
        # Rows are shuffled within a step; draw order is stream order.
        for row in tokens[np.argsort(rows.draws)]:
            seen += [int(score) for score in re.findall(rb"<(\d{3})>", row.tobytes())]
    assert len(set(seen)) > 20
    assert seen == sorted(seen, reverse=order == "descending")


def test_curriculum_bins_keep_the_score_order_between_bins_and_mix_documents_within(
        tmp_path):
    # 5 bins over the run's windows: bin by bin the scores still rise, but within a bin the
    # windows come in a random order (documents interleaved), a new one for another seed.
    graded = write_graded_jsonl(tmp_path / "graded.jsonl")
    source = {"kind": "text", "path": str(graded), "score_field": "quality",
              "order": "ascending", "epochs": 1, "bins": 5}
    s = sampler(steps=25, seq_len=20, batch_size=4, sources={"graded": source},
                val_fraction=0.1)
    stream = s.streams[0]
    assert stream.n_windows == 100
    draws = np.arange(100)
    first = [int(m) for w in stream.windows(0, draws)
             for m in re.findall(rb"<(\d{3})>", w.tobytes())[:1]]
    bins = [first[i * 20:(i + 1) * 20] for i in range(5)]
    assert all(max(low) <= min(high) for low, high in itertools.pairwise(bins))
    assert first != sorted(first)
    strict = {**source, "bins": None}
    ordered = sampler(steps=25, seq_len=20, batch_size=4, sources={"graded": strict},
                      val_fraction=0.1).streams[0].windows(0, draws)
    mixed = stream.windows(0, draws)
    # The same windows, each once: a permutation of the strict order within each bin.
    for i in range(5):
        chunk = slice(i * 20, (i + 1) * 20)
        assert sorted(map(bytes, ordered[chunk])) == sorted(map(bytes, mixed[chunk]))
    assert not np.array_equal(stream.windows(1, draws), mixed)
    with pytest.raises(ValueError, match="bins cut a curriculum's windows"):
        sampler(steps=25, seq_len=20, batch_size=4,
                sources={"graded": {**source, "order": "shuffled"}}, val_fraction=0.1)


def test_epochs_show_every_window_the_same_number_of_times():
    source = {**markov(0), "order": "shuffled", "epochs": 3}
    s = sampler(steps=150, batch_size=8, seq_len=16, sources={"a": source})
    stream = s.streams[0]
    assert stream.n_windows == 400      # 150 * 8 draws / 3 epochs
    starts = []
    for step in range(150):
        rows = s.rows(5, step)
        windows = stream.windows(5, rows.draws)
        starts += [stream.tokens.tobytes().find(w.tobytes()) for w in windows]
    counts = np.bincount(np.array(starts) // 16, minlength=400)
    # Windows are unique strings of this language, so each start identifies its window.
    assert counts.min() == counts.max() == 3


def test_unique_tokens_bound_what_a_source_trains_on():
    s = sampler(steps=30, sources={"a": {**markov(0), "unique_tokens": 500}})
    assert len(s.streams[0].tokens) == 500
    train = s.prepared[0].train.tokens[:500].tobytes()
    assert all(row.tobytes() in train for step in range(30) for row in s.train_tokens(0, step)[0])


def test_too_little_data_for_the_epochs_asked_is_a_clear_error():
    with pytest.raises(ValueError, match=r"source 'a': 0.01 epochs of this run's 1600 draws "
                                         r"need 2560001 tokens, but its train split has"):
        sampler(steps=100, sources={"a": {**markov(0), "order": "shuffled", "epochs": 0.01}})


def test_loss_weights_follow_each_rows_source():
    config = DataConfig.model_validate({"sources": {"a": markov(0), "b": {**markov(1),
                                                                          "loss_weight": 0.25}},
                                        "mix": {"a": 0.5, "b": 0.5}, "batch_size": 8})
    batches = Batches.from_config(config, 16, "cpu", steps=10)
    weights = batches.loss_weights(0, 3)
    sources = batches.sampler.rows(0, 3).sources
    assert torch.equal(weights, torch.where(torch.from_numpy(sources) == 1, 0.25, 1.0))
    unweighted = Batches.from_config(config.model_copy(update={"sources": {
        "a": config.sources["a"]}, "mix": {"a": 1.0}}), 16, "cpu", steps=10)
    assert unweighted.loss_weights(0, 3) is None


def test_batches_are_inputs_and_next_token_targets():
    batches = Batches.from_config(DataConfig(batch_size=4), 16, "cpu", steps=10)
    x, y = batches.train_batch(seed=0, step=0)
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1])


def test_validation_batches_are_fixed_held_out_and_cover_every_source():
    config = DataConfig.model_validate({"sources": {"a": markov(0), "b": markov(1)},
                                        "mix": {"a": 1.0, "b": 0.0}, "batch_size": 4})
    first = Batches.from_config(config, 16, "cpu", steps=10).val_batches(3)
    again = Batches.from_config(config, 16, "cpu", steps=10).val_batches(3)
    assert set(first) == {"a", "b"} and len(first["b"]) == 3
    assert all(torch.equal(x, y[0]) for (x, _), y in zip(first["b"], again["b"]))
    s = sampler(sources={"b": markov(1)})
    held_out = s.prepared[0].val.tokens.tobytes()
    assert bytes(first["b"][0][0][0].to(torch.uint8).numpy()) in held_out


def test_a_window_longer_than_a_source_is_a_clear_error():
    with pytest.raises(ValueError, match="'a' has 500 train tokens, fewer than one window"):
        sampler(seq_len=600, sources={"a": {**markov(0), "unique_tokens": 500}})


def test_a_run_started_from_another_counts_on_and_draws_fresh_windows():
    sources = {"a": markov(0), "b": markov(1)}
    parent = sampler(steps=100, batch_size=8, sources=sources, mix={"a": 1.0})
    child = Sampler(DataConfig.model_validate({
        "sources": sources, "batch_size": 8,
        "phases": {"replay": {"mix": {"b": 0.75, "a": 0.25}},
                   "only-b": {"start": 0.5, "mix": {"b": 1.0}}}}), 50, 16, first_step=100)
    # Its phases start over with it, like its schedule.
    assert (child.rows(0, 124).sources == 1).sum() == 6
    assert (child.rows(0, 125).sources == 1).all()
    with pytest.raises(ValueError, match="step 99 is outside the run's steps 100 to 149"):
        child.rows(0, 99)
    parent_draws = {int(d) for step in range(100) for d in parent.rows(0, step).draws}
    child_draws = {int(d) for step in range(100, 150) for d, s in
                   zip(child.rows(0, step).draws, child.rows(0, step).sources) if s == 0}
    assert child_draws and not parent_draws & child_draws
