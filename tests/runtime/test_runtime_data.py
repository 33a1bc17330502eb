import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from runtime import corpora
from runtime.config import DataConfig
from runtime.data import Batches, Source

ROOT = Path(__file__).resolve().parents[2]


def stdlib_docs() -> list[str]:
    return [name for name, _ in corpora.CORPORA["stdlib-code"]()]


def test_stdlib_code_is_library_source_without_tests_or_third_party_code():
    names = stdlib_docs()
    assert names == sorted(names)
    assert {"os.py", "json/decoder.py", "asyncio/events.py"} <= set(names)
    assert not [n for n in names if "site-packages/" in n or n.startswith("test/")
                or "/tests/" in n]


def test_split_is_by_document_and_depends_only_on_the_path():
    names = stdlib_docs()
    val = {n for n in names if corpora.is_validation(n, 0.05)}
    assert 0.02 < len(val) / len(names) < 0.1
    # Recomputed in reverse order: membership never depends on listing order.
    assert val == {n for n in reversed(names) if corpora.is_validation(n, 0.05)}
    # A larger fraction only moves documents into validation.
    assert val <= {n for n in names if corpora.is_validation(n, 0.2)}


def test_splits_hold_disjoint_documents():
    train = bytes(corpora.load_split("stdlib-code", "train", 0.05))
    val = bytes(corpora.load_split("stdlib-code", "val", 0.05))
    assert len(val) > 100_000 and len(train) > 5 * len(val)
    val_docs = val.split(corpora.SEPARATOR)
    assert all(doc not in train for doc in val_docs[:20] if len(doc) > 200)


def test_concurrent_builds_leave_one_complete_cache(tmp_path):
    """Worker processes starting together may all build the cache; each must see whole files."""
    script = ("from runtime import corpora; "
              "print(len(corpora.load_split('stdlib-code', 'train', 0.3)))")
    env = {**os.environ, "CLAIMLAB_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                text=True) for _ in range(3)]
    sizes = {int(w.communicate()[0]) for w in workers}
    assert len(sizes) == 1 and all(w.returncode == 0 for w in workers)
    files = sorted(p.name for p in (tmp_path / "corpora").iterdir())
    assert len(files) == 2 and all(name.endswith((".train.u8", ".val.u8")) for name in files)


def test_empty_validation_split_is_a_clear_error():
    with pytest.raises(ValueError, match="no val documents"):
        corpora.load_split("stdlib-code", "val", 1e-9)


def stdlib_batches(seq_len: int = 16) -> Batches:
    return Batches.from_config(DataConfig(batch_size=4), seq_len, "cpu")


def constant_source(byte: int, corpus: str) -> Source:
    return Source(train=np.full(100, byte, np.uint8), val=np.full(100, byte, np.uint8),
                  corpus=corpus)


def test_targets_are_inputs_shifted_by_one_byte():
    x, y = stdlib_batches().train_batch(seed=0, step=0)
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1])


def test_train_batch_is_a_function_of_seed_and_step():
    first, second = stdlib_batches(), stdlib_batches()
    for step in range(3):
        first.train_batch(seed=0, step=step)  # drawing other batches first changes nothing
    assert torch.equal(first.train_batch(0, 7)[0], second.train_batch(0, 7)[0])
    assert not torch.equal(first.train_batch(0, 7)[0], first.train_batch(0, 8)[0])
    assert not torch.equal(first.train_batch(0, 7)[0], first.train_batch(1, 7)[0])


def test_validation_batches_are_fixed_and_come_from_held_out_bytes():
    val = stdlib_batches().val_batches(3)["code"]
    again = stdlib_batches().val_batches(3)["code"]
    assert len(val) == 3
    assert all(torch.equal(a[0], b[0]) for a, b in zip(val, again))
    held_out = bytes(corpora.load_split("stdlib-code", "val", 0.05))
    assert bytes(val[0][0][0].to(torch.uint8).numpy()) in held_out


def test_mix_weights_pick_each_window_source():
    sources = {"a": constant_source(1, "a"), "b": constant_source(2, "b")}
    mixed = Batches(sources, {"a": 0.25, "b": 0.75}, batch_size=400, seq_len=8, device="cpu")
    rows_from_b = sum(int((mixed.train_batch(0, step)[0][:, 0] == 2).sum()) for step in range(5))
    assert 0.7 < rows_from_b / 2000 < 0.8

    only_b = Batches(sources, {"a": 0.0, "b": 1.0}, batch_size=50, seq_len=8, device="cpu")
    assert bool((only_b.train_batch(0, 0)[0] == 2).all())
    # A source with weight 0 is not trained on but is still evaluated.
    val = only_b.val_batches(1)
    assert bool((val["a"][0][0] == 1).all()) and bool((val["b"][0][0] == 2).all())


def test_source_order_in_the_config_does_not_change_batches():
    sources = {"a": constant_source(1, "a"), "b": constant_source(2, "b")}
    ab = Batches(sources, {"a": 0.5, "b": 0.5}, batch_size=16, seq_len=8, device="cpu")
    ba = Batches(dict(reversed(sources.items())), {"b": 0.5, "a": 0.5}, batch_size=16,
                 seq_len=8, device="cpu")
    assert torch.equal(ab.train_batch(0, 3)[0], ba.train_batch(0, 3)[0])


def test_window_longer_than_a_source_is_a_clear_error():
    with pytest.raises(ValueError, match="'a' has 100 train bytes, fewer than one window"):
        Batches({"a": constant_source(1, "a")}, {"a": 1.0}, batch_size=1, seq_len=100,
                device="cpu")
