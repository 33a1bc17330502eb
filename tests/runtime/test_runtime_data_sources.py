"""Each kind of source becomes the tokens it promises, split and cached deterministically."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from data_helpers import data, markov, sampler, write_graded_jsonl

from runtime.data.sources import builtin
from runtime.data.sources.configs import (
    BuiltinSource,
    CorruptedSource,
    MarkovSource,
    ShiftedSource,
    TextSource,
    TokenFileSource,
)
from runtime.data.sources.prepare import prepare
from runtime.data.sources.store import is_validation
from runtime.data.sources.synthetic import markov_table

ROOT = Path(__file__).resolve().parents[2]


def text_of(tokens: np.ndarray) -> str:
    return tokens.tobytes().decode("utf-8", "replace")


def test_stdlib_code_is_library_source_without_tests_or_third_party_code():
    names = [name for name, _ in builtin.stdlib_code()]
    assert names == sorted(names)
    assert {"os.py", "json/decoder.py", "asyncio/events.py"} <= set(names)
    assert not [n for n in names if "site-packages/" in n or n.startswith("test/")
                or "/tests/" in n]


@pytest.mark.slow
def test_stdlib_prose_is_reference_topics_and_docstrings():
    prepared = prepare(BuiltinSource(name="stdlib-prose"), 0.05)
    text = text_of(prepared.train.tokens) + text_of(prepared.val.tokens)
    assert len(text) > 1_000_000
    assert "The \"with\" statement" in text                          # a pydoc topic
    assert "Return the absolute version of a path." in text          # a docstring


def test_split_is_by_document_and_depends_only_on_its_name():
    names = [name for name, _ in builtin.stdlib_code()]
    val = {n for n in names if is_validation(n, 0.05)}
    assert 0.02 < len(val) / len(names) < 0.1
    # A larger fraction only moves documents into validation.
    assert val <= {n for n in names if is_validation(n, 0.2)}
    prepared = prepare(BuiltinSource(), 0.05)
    train = prepared.train.tokens.tobytes()
    assert len(prepared.val.tokens) > 100_000 and len(train) > 5 * len(prepared.val.tokens)
    held_out = [prepared.val.document(i).tobytes() for i in range(prepared.val.documents)]
    assert all(doc not in train for doc in held_out[:20] if len(doc) > 200)


def test_concurrent_builds_leave_one_complete_cache(tmp_path):
    """Worker processes starting together may all build the cache; each must see it whole."""
    script = ("from runtime.data.sources.prepare import prepare; "
              "from runtime.data.sources.configs import BuiltinSource; "
              "print(len(prepare(BuiltinSource(), 0.3).train.tokens))")
    env = {**os.environ, "CLAIMLAB_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                text=True) for _ in range(3)]
    sizes = {int(w.communicate()[0]) for w in workers}
    assert len(sizes) == 1 and all(w.returncode == 0 for w in workers)
    (entry,) = (tmp_path / "sources").iterdir()
    assert entry.name.startswith("stdlib-code-") and (entry / "meta.json").exists()


def test_markov_language_has_the_entropy_asked_for():
    table = markov_table(alphabet=16, context=2, entropy_bits=2.5, seed=3)
    assert table.shape == (256, 16)
    row_bits = -(table * np.log2(table)).sum(axis=1)
    assert np.allclose(row_bits, 2.5, atol=1e-6)
    # The text it writes has that entropy per symbol given the two before it.
    tokens = prepare(MarkovSource.model_validate(
        markov(3, context=2, entropy=2.5, tokens=200_000)), 0.05).train.tokens
    symbols = [t for t in tokens.tobytes().split(b"\0") if t]
    context_counts, counts = Counter(), Counter()
    for doc in symbols:
        for i in range(2, len(doc)):
            context_counts[doc[i - 2:i]] += 1
            counts[doc[i - 2:i + 1]] += 1
    total = sum(counts.values())
    empirical = -sum(n / total * math.log2(n / context_counts[k[:2]]) for k, n in counts.items())
    assert abs(empirical - 2.5) < 0.05


def test_markov_language_depends_on_its_seed_only():
    first = prepare(MarkovSource.model_validate(markov(0)), 0.05).train.tokens
    again = prepare(MarkovSource.model_validate(markov(0, document=256)), 0.05).train.tokens
    other = prepare(MarkovSource.model_validate(markov(1)), 0.05).train.tokens
    assert np.array_equal(first, again) and not np.array_equal(first[:1000], other[:1000])
    assert set(np.unique(first)) <= set(b"abcdefghijklmnop\0")


def test_shifted_source_is_a_letter_cipher_of_its_base():
    base = BuiltinSource(name="stdlib-prose")
    original = text_of(prepare(base, 0.05).train.tokens[:20_000])
    shifted = text_of(prepare(ShiftedSource(kind="shifted", base=base, seed=4), 0.05)
                      .train.tokens[:20_000])
    cipher = {}
    for a, b in zip(original, shifted):
        if a.isalpha() and a.isascii():
            assert cipher.setdefault(a, b) == b and b.isalpha() and a.isupper() == b.isupper()
        else:
            assert a == b    # spacing, digits and punctuation untouched
    assert all(cipher[c] != c for c in cipher)
    half = prepare(ShiftedSource(kind="shifted", base=base, fraction=0.5), 0.05)
    moved = {a for a, b in zip(original, text_of(half.train.tokens[:20_000])) if a != b}
    assert 10 <= len({c.lower() for c in moved}) <= 13


def test_corrupted_documents_score_their_own_quality():
    base = MarkovSource.model_validate(markov(0))
    clean = prepare(base, 0.05).train
    corrupted = prepare(CorruptedSource(kind="corrupted", base=base, rate=(0.1, 0.6)), 0.05).train
    assert np.array_equal(clean.starts, corrupted.starts)
    changed = [np.mean(clean.document(i) != corrupted.document(i))
               for i in range(corrupted.documents)]
    quality = corrupted.scores
    assert quality.min() >= 0.4 and quality.max() <= 0.9 and np.ptp(quality) > 0.3
    # Replacements come from the same document, so some land on the same symbol: the share
    # changed is a little below the rate, and tracks it closely.
    assert np.corrcoef(changed, 1 - quality)[0, 1] > 0.95
    assert all(c <= 1 - q + 0.05 for c, q in zip(changed, quality))
    assert (corrupted.tokens[corrupted.starts[1:] - 1] == 0).all()   # separators kept


def test_token_files_as_nanogpt_writes_them(tmp_path):
    ids = (np.arange(30_000) * 7919 % 50_257).astype(np.uint16)
    ids.tofile(tmp_path / "train.bin")
    ids[:3000].tofile(tmp_path / "val.bin")
    source = TokenFileSource(kind="tokens", path=str(tmp_path / "train.bin"),
                             val_path=str(tmp_path / "val.bin"), vocab_size=50_304)
    prepared = prepare(source, 0.05)
    assert np.array_equal(prepared.train.tokens, ids)
    assert np.array_equal(prepared.val.tokens, ids[:3000]) and prepared.vocab_size == 50_304
    # Without a validation file, the last val_fraction of the tokens is held out.
    np.save(tmp_path / "all.npy", ids.astype(np.uint32))
    tail = prepare(TokenFileSource(kind="tokens", path=str(tmp_path / "all.npy"),
                                   vocab_size=50_304), 0.1)
    assert len(tail.val.tokens) == 3000 and np.array_equal(tail.val.tokens, ids[-3000:])


def test_text_files_become_documents_by_file_paragraph_or_line(tmp_path):
    (tmp_path / "notes").mkdir()
    for i in range(40):
        (tmp_path / "notes" / f"{i:02d}.txt").write_text(f"note {i}\n\nsecond paragraph {i}\n")
    by_file = prepare(TextSource(kind="text", path=str(tmp_path / "notes" / "*.txt")), 0.2)
    by_paragraph = prepare(TextSource(kind="text", path=str(tmp_path / "notes/*.txt"),
                                      documents="paragraph"), 0.2)
    assert by_file.train.documents + by_file.val.documents == 40
    assert by_paragraph.train.documents + by_paragraph.val.documents == 80
    first = by_file.train.document(0).tobytes()
    assert first.startswith(b"note ") and first.endswith(b"\n\0")


def test_jsonl_text_and_scores(tmp_path):
    prepared = prepare(TextSource(kind="text", path=str(write_graded_jsonl(tmp_path / "g.jsonl")),
                                  score_field="quality"), 0.1)
    for split in (prepared.train, prepared.val):
        for i in range(split.documents):
            assert split.document(i).tobytes()[1:4] == b"%03d" % split.scores[i]


def test_a_tokenizer_file_tokenises_text_and_gives_bytes_per_token(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    corpus = [f"the quick brown fox {i} jumps over the lazy dog" for i in range(300)]
    (tmp_path / "corpus.txt").write_text("\n".join(corpus))
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE())
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tokenizers.decoders.ByteLevel()
    tokenizer.train_from_iterator(corpus, tokenizers.trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet()))
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    source = TextSource(kind="text", path=str(tmp_path / "corpus.txt"), documents="line",
                        tokenizer=str(tmp_path / "tokenizer.json"))
    assert source.vocabulary == tokenizer.get_vocab_size()
    prepared = prepare(source, 0.1)
    assert prepared.train.tokens.dtype == np.uint16 and prepared.tokenizer == source.tokenizer
    s = sampler(seq_len=8, sources={"text": source.model_dump()}, batch_size=2)
    assert 2 < s.bytes_per_token("text") < 8
    first = tokenizer.decode(prepared.train.document(0).tolist())
    assert first.startswith("the quick brown fox ") and first in corpus


def test_huggingface_dataset_saved_locally(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = {"text": [f"document number {i} " * 5 for i in range(200)],
            "score": [float(i % 7) for i in range(200)]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows),
                          "test": datasets.Dataset.from_dict({
                              k: v[:20] for k, v in rows.items()})}).save_to_disk(tmp_path / "ds")
    s = sampler(seq_len=16, sources={"hf": {"kind": "huggingface", "dataset": str(tmp_path / "ds"),
                                            "val_split": "test", "score_field": "score",
                                            "order": "descending"}})
    prepared = s.prepared[0]
    assert prepared.train.documents == 200 and prepared.val.documents == 20
    assert b"document number" in s.train_tokens(0, 0)[0].tobytes()
    assert json.loads((prepared.location / "meta.json").read_text())["vocab_size"] == 256


def test_a_dataset_that_is_not_cached_is_a_clear_error_without_the_network():
    pytest.importorskip("datasets")
    with pytest.raises(ValueError, match="dataset 'someone/no-such-dataset', split 'train', is "
                                         "not available offline .claimlab never downloads"):
        data(sources={"hf": {"kind": "huggingface", "dataset": "someone/no-such-dataset"}})
