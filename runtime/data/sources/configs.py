"""The source configs: what `data.sources.<name>` may say.

Each source has a `kind` and the fields of that kind, plus how a run draws from it (`order`,
`unique_tokens` or `epochs`, `loss_weight`). Sources that read the user's files are checked
when the config is validated, that is when a spec is compiled: a file that is missing or
unreadable is an error at its spec line, not a crash mid-run. They also carry a `fingerprint`
of their files' contents, filled in at validation and checked again when the runtime loads
the job, so a run's id changes when its data changes, and a job never trains on data that
changed after it was compiled.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from runtime.config.base import PositiveInt
from runtime.config.registry import Registry
from runtime.data.sources.draws import BYTES, BYTES_TOKENS, TOKEN_IDS, Draws
from runtime.data.sources.user_configs import HuggingFaceSource, TextSource, TokenFileSource

__all__ = [
    "BYTES", "BYTES_TOKENS", "SOURCES", "TOKEN_IDS", "BuiltinSource", "CorruptedSource",
    "Draws", "HuggingFaceSource", "MarkovSource", "ShiftedSource", "SourceConfig",
    "TextSource", "TokenFileSource",
]

# Transition tables larger than this (alphabet ** (context + 1) entries) are a typo.
MAX_MARKOV_TABLE = 1 << 24

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class BuiltinSource(Draws):
    """A corpus that ships with Python: nothing to download."""

    kind: Literal["builtin"] = "builtin"
    """a corpus that ships with Python (the default kind)"""
    name: Literal["stdlib-code", "stdlib-prose"] = "stdlib-code"
    """stdlib-code: the standard library's .py files (no tests); stdlib-prose: pydoc's
    reference topics and the library's docstrings"""


class MarkovSource(Draws):
    """A synthetic language: each symbol depends on the `context` symbols before it, with
    exactly `entropy` bits of uncertainty after every context, so the best possible loss is
    known (entropy * ln 2 nats per token)."""

    kind: Literal["markov"]
    """a synthetic language whose best possible loss is known"""
    alphabet: Annotated[int, Field(ge=2, le=255)] = 64
    """how many symbols the language has"""
    context: Annotated[int, Field(ge=0, le=4)] = 1
    """how many symbols before it each symbol depends on"""
    entropy: Annotated[float, Field(gt=0)] = 3.0
    """bits of uncertainty about the next symbol after every context (at most log2 alphabet)"""
    tokens: PositiveInt = 1_000_000
    """about how many train tokens the source has"""
    document: Annotated[int, Field(ge=16)] = 1024
    """symbols per document"""
    seed: Annotated[int, Field(ge=0)] = 0
    """seeds the language's transition probabilities and its documents"""

    @model_validator(mode="after")
    def _language_is_possible(self) -> MarkovSource:
        if self.entropy > math.log2(self.alphabet) + 1e-12:
            raise ValueError(f"entropy {self.entropy} bits is more than an alphabet of "
                             f"{self.alphabet} symbols has (log2 {self.alphabet} = "
                             f"{math.log2(self.alphabet):.4g})")
        if self.alphabet ** (self.context + 1) > MAX_MARKOV_TABLE:
            raise ValueError(f"alphabet ** (context + 1) = {self.alphabet ** (self.context + 1)} "
                             f"transition probabilities, more than {MAX_MARKOV_TABLE}")
        return self


class _Derived(Draws):
    """A source made from another one (`base`), which says only what data it holds."""

    base: SourceConfig
    """the source this one is made from: its kind and data, without draw fields"""
    seed: Annotated[int, Field(ge=0)] = 0
    """seeds what is done to `base` (the permutation, the corruption)"""

    @field_validator("base")
    @classmethod
    def _base_has_no_draws(cls, base: SourceConfig) -> SourceConfig:
        # Defaults are fine: a job file spells every field out.
        given = sorted(name for name, field in Draws.model_fields.items()
                       if getattr(base, name) != field.default)
        if given:
            raise ValueError(f"{', '.join(given)} belong on the outer source: the base only "
                             "says what data it holds")
        return base

    @property
    def vocabulary(self) -> int:
        return self.base.vocabulary

    @property
    def tokenizer_json(self) -> str | None:
        return self.base.tokenizer_json

    @property
    def tokenization(self) -> str:
        return self.base.tokenization


class ShiftedSource(_Derived):
    """`base` with a fixed permutation of its symbols: a controlled distribution shift."""

    kind: Literal["shifted"]
    """`base` with its symbols permuted: a controlled distribution shift"""
    symbols: Literal["letters", "all"] = "letters"
    """letters: permute a-z (the same way in upper case) as a cipher does, keeping spacing,
    punctuation and digits; all: permute every token id (every byte but NUL, for bytes)"""
    fraction: Annotated[float, Field(gt=0, le=1)] = 1.0
    """the share of those symbols that move (1.0 moves all of them)"""

    @property
    def scored(self) -> bool:
        return self.base.scored

    @model_validator(mode="after")
    def _letters_need_bytes(self) -> ShiftedSource:
        if self.symbols == "letters" and self.base.vocabulary != BYTES:
            raise ValueError("symbols: letters needs a byte-level base; use symbols: all")
        return self


class CorruptedSource(_Derived):
    """`base` with each document corrupted at its own rate, drawn uniformly from `rate`:
    that share of its tokens is replaced by tokens drawn from elsewhere in the document.
    A document's score is its quality, 1 - its rate."""

    kind: Literal["corrupted"]
    """`base` with each document corrupted at its own rate"""
    rate: tuple[Probability, Probability] = (0.0, 0.5)
    """[low, high]: each document's corruption rate is drawn uniformly from this range"""

    @property
    def scored(self) -> bool:
        return True

    @model_validator(mode="after")
    def _rate_is_a_range(self) -> CorruptedSource:
        if self.rate[0] > self.rate[1]:
            raise ValueError(f"rate must be [low, high] with low <= high, found {list(self.rate)}")
        return self


SourceConfig = Annotated[
    BuiltinSource | MarkovSource | ShiftedSource | CorruptedSource | TokenFileSource
    | TextSource | HuggingFaceSource,
    Field(discriminator="kind"),
]

# Each kind's builder: (source, val_fraction) -> its train and validation splits.
SOURCES = Registry("data source", {
    "builtin": "runtime.data.sources.prepare:build_builtin",
    "markov": "runtime.data.sources.prepare:build_markov",
    "shifted": "runtime.data.sources.prepare:build_shifted",
    "corrupted": "runtime.data.sources.prepare:build_corrupted",
    "tokens": "runtime.data.sources.prepare:build_tokens",
    "text": "runtime.data.sources.prepare:build_text",
    "huggingface": "runtime.data.sources.prepare:build_huggingface",
})

for _model in (ShiftedSource, CorruptedSource):
    _model.model_rebuild()
