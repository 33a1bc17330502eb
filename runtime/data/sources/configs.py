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
from runtime.data.sources.draws import BYTES, BYTES_TOKENS, TOKEN_IDS, Draws
from runtime.data.sources.user_configs import HuggingFaceSource, TextSource, TokenFileSource

__all__ = [
    "BYTES", "BYTES_TOKENS", "TOKEN_IDS", "BuiltinSource", "CorruptedSource", "Draws",
    "HuggingFaceSource", "MarkovSource", "ShiftedSource", "SourceConfig", "TextSource",
    "TokenFileSource",
]

# Transition tables larger than this (alphabet ** (context + 1) entries) are a typo.
MAX_MARKOV_TABLE = 1 << 24

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class BuiltinSource(Draws):
    kind: Literal["builtin"] = "builtin"
    name: Literal["stdlib-code", "stdlib-prose"] = "stdlib-code"


class MarkovSource(Draws):
    """A synthetic language: each symbol depends on the `context` symbols before it, with
    exactly `entropy` bits of uncertainty after every context, so the best possible loss is
    known (entropy * ln 2 nats per token). `tokens` is about how many train tokens it has,
    in documents of `document` symbols."""

    kind: Literal["markov"]
    alphabet: Annotated[int, Field(ge=2, le=255)] = 64
    context: Annotated[int, Field(ge=0, le=4)] = 1
    entropy: Annotated[float, Field(gt=0)] = 3.0
    tokens: PositiveInt = 1_000_000
    document: Annotated[int, Field(ge=16)] = 1024
    seed: Annotated[int, Field(ge=0)] = 0

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
    seed: Annotated[int, Field(ge=0)] = 0

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
    """`base` with a fixed permutation of its symbols: a controlled distribution shift.

    symbols: letters   permute the letters a-z (the same way in upper case), as a cipher does,
                       so the text keeps its spacing, punctuation and digits
             all       permute every token id (every byte but NUL, for byte sources)
    fraction: the share of those symbols that move (1.0 moves all of them)
    """

    kind: Literal["shifted"]
    symbols: Literal["letters", "all"] = "letters"
    fraction: Annotated[float, Field(gt=0, le=1)] = 1.0

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
    rate: tuple[Probability, Probability] = (0.0, 0.5)

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

for _model in (ShiftedSource, CorruptedSource):
    _model.model_rebuild()
