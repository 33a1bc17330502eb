"""Synthetic data: Markov languages of a chosen entropy, and two ways of changing another
source's data (a fixed permutation of its symbols; corruption graded by document).

Everything here is a function of the source's parameters and its `seed` alone.
"""

from __future__ import annotations

import string

import numpy as np

# Markov symbols are written as printable ASCII first (so samples can be read), then the
# remaining bytes; NUL ends documents and is never a symbol.
_PRINTABLE = (string.ascii_lowercase + string.ascii_uppercase + string.digits
              + string.punctuation).encode()
SYMBOL_BYTES = np.frombuffer(
    _PRINTABLE + bytes(b for b in range(1, 256) if b not in _PRINTABLE), dtype=np.uint8)


def markov_table(alphabet: int, context: int, entropy_bits: float, seed: int) -> np.ndarray:
    """Next-symbol probabilities for each context (alphabet ** context rows), each row with
    exactly `entropy_bits` of entropy: random logits, each row sharpened or flattened by its
    own temperature, found by bisection."""
    rng = np.random.default_rng([seed, alphabet, context])
    logits = rng.standard_normal((alphabet ** context, alphabet))
    target = entropy_bits * np.log(2)
    # Entropy falls as the inverse temperature grows; bisect it in log space per row.
    low = np.full((len(logits), 1), -12.0)
    high = np.full((len(logits), 1), 12.0)
    for _ in range(40):
        middle = (low + high) / 2
        too_flat = _entropy(logits * np.exp(middle)) > target
        low = np.where(too_flat, middle, low)
        high = np.where(too_flat, high, middle)
    return _softmax(logits * np.exp((low + high) / 2))


def markov_documents(table: np.ndarray, alphabet: int, context: int, n_documents: int,
                     length: int, seed: int) -> np.ndarray:
    """(n_documents, length) symbols, the documents generated side by side. Each starts
    from a random context."""
    rng = np.random.default_rng([seed, n_documents, length])
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    symbols = np.empty((n_documents, context + length), dtype=np.int64)
    symbols[:, :context] = rng.integers(0, alphabet, (n_documents, context))
    powers = alphabet ** np.arange(context - 1, -1, -1)
    for position in range(context, context + length):
        state = symbols[:, position - context:position] @ powers if context else \
            np.zeros(n_documents, dtype=np.int64)
        draws = rng.random(n_documents)[:, None]
        symbols[:, position] = (cumulative[state] < draws).sum(axis=1)
    return symbols[:, context:]


def shift_table(vocabulary: int, symbols: str, fraction: float, seed: int,
                separator: int | None) -> np.ndarray:
    """A lookup table old id -> new id that moves `fraction` of the chosen symbols, each to
    another chosen symbol; every other id maps to itself."""
    table = np.arange(vocabulary, dtype=np.int64)
    if symbols == "letters":
        pool = np.frombuffer(string.ascii_lowercase.encode(), dtype=np.uint8).astype(np.int64)
    else:
        pool = np.array([t for t in range(vocabulary) if t != separator], dtype=np.int64)
    rng = np.random.default_rng([seed, vocabulary])
    moved = rng.permutation(pool)[:max(2, round(fraction * len(pool)))]
    # A cycle through the chosen symbols: each one moves, none stays.
    table[moved] = np.roll(moved, 1)
    if symbols == "letters":
        offset = ord("A") - ord("a")
        table[moved + offset] = np.roll(moved, 1) + offset
    return table


def corrupt(tokens: np.ndarray, starts: np.ndarray, rates: np.ndarray,
            separator: int | None, seed: int) -> np.ndarray:
    """A copy of `tokens` in which each document (starts[i]:starts[i + 1]) has a share
    rates[i] of its tokens replaced by tokens from random places in the same document."""
    rng = np.random.default_rng(seed)
    lengths = np.diff(starts)
    per_token = np.repeat(rates, lengths)
    hit = rng.random(len(tokens)) < per_token
    if separator is not None:
        hit &= tokens != separator
    positions = np.flatnonzero(hit)
    document = np.searchsorted(starts, positions, side="right") - 1
    # Replacements come from the document's content (its separator left out).
    content = lengths[document] - (separator is not None)
    donors = starts[document] + (rng.random(len(positions)) * content).astype(np.int64)
    corrupted = np.array(tokens)
    corrupted[positions] = tokens[donors]
    return corrupted


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _entropy(logits: np.ndarray) -> np.ndarray:
    p = _softmax(logits)
    return -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1, keepdims=True)
