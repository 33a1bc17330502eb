"""A source config -> its prepared train and validation splits, built once into the cache.

A prepared source is named by a hash of what its tokens depend on: the source's data fields
(not how a run draws from it), the validation fraction, the Python version (the built-in
corpora are that version's library) and FORMAT_VERSION. Each kind's builder here,
`build_<kind>`, is named in the SOURCES table next to the source configs (configs.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys

import numpy as np

from runtime.data.sources import builtin, files, synthetic, user
from runtime.data.sources.configs import (
    SOURCES,
    BuiltinSource,
    CorruptedSource,
    Draws,
    HuggingFaceSource,
    MarkovSource,
    ShiftedSource,
    SourceConfig,
    TextSource,
    TokenFileSource,
)
from runtime.data.sources.store import (
    SPLITS,
    Built,
    Prepared,
    Split,
    assign_splits,
    cached,
    join_documents,
)

# Bump when the tokens a source config produces change, so stale caches are not reused.
FORMAT_VERSION = 2
# Ends each document of a byte-level source; text has no NUL bytes.
NUL = 0


def prepare(source: SourceConfig, val_fraction: float) -> Prepared:
    """The source's splits, memory-mapped from the cache (built there on first use by the
    builder its kind names in SOURCES)."""
    build = SOURCES[source.kind]
    return cached(source_key(source, val_fraction), lambda: build(source, val_fraction))


def source_key(source: SourceConfig, val_fraction: float) -> str:
    identity = {"source": data_fields(source), "val_fraction": val_fraction,
                "format": FORMAT_VERSION, "python": list(sys.version_info[:3])}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    label = source.name if isinstance(source, BuiltinSource) else source.kind
    return f"{label}-{digest[:16]}"


def data_fields(source: SourceConfig) -> dict:
    """What the source holds, leaving out how a run draws from it."""
    fields = source.model_dump(mode="json", exclude=set(Draws.model_fields))
    if isinstance(source, (ShiftedSource, CorruptedSource)):
        fields["base"] = data_fields(source.base)
    return fields


def build_builtin(source: BuiltinSource, val_fraction: float) -> Built:
    docs = [(name, np.frombuffer(data, np.uint8)) for name, data in builtin.CORPORA[source.name]()]
    return _bytes(docs, val_fraction)


def build_text(source: TextSource, val_fraction: float) -> Built:
    documents = user.text_documents(source.path, source.documents, source.text_field,
                                    source.score_field)
    return _text(list(documents), source.tokenizer, val_fraction)


def _bytes(documents: list[tuple[str, np.ndarray]], val_fraction: float) -> Built:
    splits = {}
    for name, docs in assign_splits(documents, val_fraction).items():
        tokens, starts = join_documents(docs, NUL, np.uint8)
        splits[name] = Split(tokens, starts, text_bytes=len(tokens))
    return Built(splits, vocab_size=256, separator=NUL)


def _text(documents: list[user.TextDocument], tokenizer: str | None, val_fraction: float,
          val_documents: list[user.TextDocument] | None = None) -> Built:
    if val_documents is None:
        by_split = assign_splits([(doc[0], doc) for doc in documents], val_fraction)
    else:
        by_split = {"train": documents, "val": val_documents}
    splits = {split: _encode(docs, tokenizer) for split, docs in by_split.items()}
    vocab = user.tokenizer_vocab_size(tokenizer) if tokenizer else 256
    return Built(splits, vocab_size=vocab, separator=None if tokenizer else NUL,
                 tokenizer=tokenizer)


def _encode(documents: list[user.TextDocument], tokenizer: str | None) -> Split:
    texts = [text.encode() for _, text, _ in documents]
    if tokenizer is None:
        tokens, starts = join_documents([np.frombuffer(t, np.uint8) for t in texts], NUL,
                                        np.uint8)
        text_bytes = len(tokens)    # the NUL that ends each document is a byte too
    else:
        encoded = user.encode([text for _, text, _ in documents], tokenizer)
        tokens, starts = join_documents(encoded, None, _token_dtype(
            user.tokenizer_vocab_size(tokenizer)))
        text_bytes = sum(map(len, texts))
    scored = any(score is not None for _, _, score in documents)
    scores = np.array([s for _, _, s in documents], dtype=np.float32) if scored else None
    return Split(tokens, starts, scores, text_bytes)


def build_huggingface(source: HuggingFaceSource, val_fraction: float) -> Built:
    def documents(split: str) -> list[user.TextDocument]:
        return list(user.dataset_documents(source.dataset, source.subset, split,
                                           source.text_field, source.score_field))

    val = documents(source.val_split) if source.val_split else None
    return _text(documents(source.split), source.tokenizer, val_fraction, val)


def build_markov(source: MarkovSource, val_fraction: float) -> Built:
    table = synthetic.markov_table(source.alphabet, source.context, source.entropy,
                                   source.seed)
    n_documents = math.ceil(source.tokens / source.document / (1 - val_fraction))
    symbols = synthetic.markov_documents(table, source.alphabet, source.context, n_documents,
                                         source.document, source.seed)
    text = synthetic.SYMBOL_BYTES[symbols]
    return _bytes([(f"doc{i}", row) for i, row in enumerate(text)], val_fraction)


def build_shifted(source: ShiftedSource, val_fraction: float) -> Built:
    base = prepare(source.base, val_fraction)
    table = synthetic.shift_table(base.vocab_size, source.symbols, source.fraction,
                                  source.seed, base.separator)
    splits = {}
    for name in SPLITS:
        split = base.split(name)
        tokens = table[split.tokens].astype(split.tokens.dtype)
        splits[name] = Split(tokens, split.starts, split.scores, split.text_bytes)
    return Built(splits, base.vocab_size, base.separator, base.tokenizer)


def build_corrupted(source: CorruptedSource, val_fraction: float) -> Built:
    base = prepare(source.base, val_fraction)
    low, high = source.rate
    splits = {}
    for index, name in enumerate(SPLITS):
        split = base.split(name)
        rng = np.random.default_rng([source.seed, index])
        rates = low + (high - low) * rng.random(split.documents)
        tokens = synthetic.corrupt(split.tokens, split.starts, rates, base.separator,
                                   seed=source.seed * 2 + index)
        splits[name] = Split(tokens, split.starts, (1 - rates).astype(np.float32),
                             split.text_bytes)
    return Built(splits, base.vocab_size, base.separator, base.tokenizer)


def build_tokens(source: TokenFileSource, val_fraction: float) -> Built:
    def read(pattern: str) -> list[np.ndarray]:
        return [user.token_file(path, source.dtype) for path in files.matching_files(pattern)]

    train = read(source.path)
    if source.val_path is not None:
        parts = {"train": train, "val": read(source.val_path)}
    else:
        # No held-out files: the last val_fraction of each file's tokens.
        cuts = [len(a) - max(1, round(len(a) * val_fraction)) for a in train]
        parts = {"train": [a[:c] for a, c in zip(train, cuts)],
                 "val": [a[c:] for a, c in zip(train, cuts)]}
    dtype = _token_dtype(source.vocab_size)
    splits = {}
    for name, arrays in parts.items():
        tokens, starts = join_documents(arrays, None, dtype)
        if len(tokens) and int(tokens.max()) >= source.vocab_size:
            raise ValueError(f"{source.path}: token id {int(tokens.max())} is not below "
                             f"vocab_size {source.vocab_size}")
        # Bits per byte are measured on validation only: decode no more than that.
        measured = source.tokenizer is not None and name == "val"
        text_bytes = _decoded_bytes(tokens, source.tokenizer) if measured else 0
        splits[name] = Split(tokens, starts, None, text_bytes)
    return Built(splits, source.vocab_size, None, source.tokenizer)


def _decoded_bytes(tokens: np.ndarray, tokenizer: str, chunk: int = 1 << 20) -> int:
    return sum(len(user.decode(tokens[i:i + chunk], tokenizer).encode())
               for i in range(0, len(tokens), chunk))


def _token_dtype(vocab_size: int) -> type[np.unsignedinteger]:
    return np.uint16 if vocab_size <= 1 << 16 else np.uint32
