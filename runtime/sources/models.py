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

from runtime.config_base import PositiveInt, Strict
from runtime.sources import files, user

BYTES = 256
BYTES_TOKENS, TOKEN_IDS = "bytes", "token ids"
# Transition tables larger than this (alphabet ** (context + 1) entries) are a typo.
MAX_MARKOV_TABLE = 1 << 24

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Order = Literal["random", "shuffled", "ascending", "descending"]


class Draws(Strict):
    """What every source has: how a run draws windows of seq_len + 1 tokens from its train
    split.

    order: random      windows at random positions, drawn independently (the default)
           shuffled    every window once per epoch, in a new random order each epoch
           ascending   documents by score, lowest first, windows in that order (curricula)
           descending  the same, highest score first
    unique_tokens: train on at most this many distinct tokens of the source
    epochs: or let the run's draws from the source repeat each of its windows this many
            times (the source is cut to the tokens that takes)
    loss_weight: the weight of this source's tokens in the training loss
    """

    order: Order = "random"
    unique_tokens: PositiveInt | None = None
    epochs: Annotated[float, Field(gt=0)] | None = None
    loss_weight: Annotated[float, Field(ge=0)] = 1.0

    @property
    def scored(self) -> bool:
        """Whether the source gives each document a score (what curricula order by)."""
        return False

    @property
    def vocabulary(self) -> int:
        """How many token ids the source's tokens may take."""
        return BYTES

    @property
    def tokenizer_json(self) -> str | None:
        """The tokenizers JSON file that encodes the source's text, None for bytes."""
        return None

    @property
    def tokenization(self) -> str:
        """What its token ids mean: BYTES_TOKENS, a tokenizer file, or TOKEN_IDS (the user's
        token files, whose tokenizer is not known)."""
        return self.tokenizer_json or BYTES_TOKENS

    @model_validator(mode="after")
    def _draws_fit_source(self) -> Draws:
        if self.unique_tokens is not None and self.epochs is not None:
            raise ValueError("give unique_tokens or epochs, not both")
        if self.epochs is not None and self.order == "random":
            raise ValueError("epochs need order: shuffled, ascending or descending "
                             "(random windows are drawn independently, without epochs)")
        if self.order in ("ascending", "descending") and not self.scored:
            raise ValueError(f"order {self.order!r} sorts documents by score, and this "
                             f"source has none (corrupted sources and text or huggingface "
                             f"sources with a score_field do)")
        return self


class BuiltinSource(Draws):
    kind: Literal["builtin"] = "builtin"
    name: Literal["stdlib-code", "stdlib-prose"] = "stdlib-code"


class MarkovSource(Draws):
    """A synthetic language: each symbol depends on the `context` symbols before it, with
    exactly `entropy` bits of uncertainty after every context, so the best possible loss is
    known (entropy * ln 2 nats per token)."""

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
        given = sorted(set(base.model_fields_set) & set(Draws.model_fields))
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


class _Pinned(Draws):
    """A source of the user's data: text tokenised as bytes or with a `tokenizer` JSON
    file, pinned to the data's contents by `fingerprint`."""

    tokenizer: str | None = None
    fingerprint: str | None = None

    @field_validator("tokenizer")
    @classmethod
    def _tokenizer_loads(cls, path: str | None) -> str | None:
        if path is not None:
            user.tokenizer_vocab_size(path)
        return path

    @property
    def tokenizer_json(self) -> str | None:
        return self.tokenizer

    @property
    def vocabulary(self) -> int:
        return BYTES if self.tokenizer is None else user.tokenizer_vocab_size(self.tokenizer)

    def _current_fingerprint(self) -> str:
        raise NotImplementedError

    @model_validator(mode="after")
    def _fingerprint_matches(self) -> _Pinned:
        current = self._current_fingerprint()
        if self.fingerprint is None:
            # Not a field the spec sets: kept out of `model_fields_set`, so a sweep that
            # changes the data fingerprints the new data.
            object.__setattr__(self, "fingerprint", current)
        elif self.fingerprint != current:
            raise ValueError(f"the data changed since this run was planned (fingerprint "
                             f"{self.fingerprint}, now {current}); compile the spec again")
        return self


class _Files(_Pinned):
    path: str

    @field_validator("path")
    @classmethod
    def _path_names_files(cls, path: str) -> str:
        files.matching_files(path)
        return path

    def _current_fingerprint(self) -> str:
        return files.fingerprint(self.path, self.tokenizer)


class TokenFileSource(_Files):
    """Token ids the user has already made: flat `.bin` files of `dtype` (as nanoGPT writes
    them) or one-dimensional `.npy` arrays. Validation is `val_path` when given, else the
    last `val_fraction` of each split's tokens. `tokenizer`, when given, decodes samples and
    measures bits per byte."""

    kind: Literal["tokens"]
    val_path: str | None = None
    dtype: Literal["uint16", "uint32"] = "uint16"
    vocab_size: PositiveInt

    @field_validator("val_path")
    @classmethod
    def _val_path_names_files(cls, path: str | None) -> str | None:
        if path is not None:
            files.matching_files(path)
        return path

    @model_validator(mode="after")
    def _files_hold_tokens(self) -> TokenFileSource:
        for pattern in filter(None, (self.path, self.val_path)):
            for path in files.matching_files(pattern):
                user.check_token_file(path, self.dtype)
        if self.tokenizer is not None and user.tokenizer_vocab_size(self.tokenizer) > \
                self.vocab_size:
            raise ValueError(f"the tokenizer has {user.tokenizer_vocab_size(self.tokenizer)} "
                             f"ids, more than vocab_size {self.vocab_size}")
        return self

    @property
    def vocabulary(self) -> int:
        return self.vocab_size

    @property
    def tokenization(self) -> str:
        return self.tokenizer or TOKEN_IDS

    def _current_fingerprint(self) -> str:
        return files.fingerprint(self.path, self.val_path, self.tokenizer)


class TextSource(_Files):
    """Text files, tokenised as bytes or with `tokenizer`. A `.jsonl` file holds one
    document per line, its text under `text_field` and, optionally, a score under
    `score_field`; other files are split into documents by `documents`."""

    kind: Literal["text"]
    documents: Literal["file", "paragraph", "line"] = "file"
    text_field: str = "text"
    score_field: str | None = None

    @property
    def scored(self) -> bool:
        return self.score_field is not None

    @model_validator(mode="after")
    def _scores_need_jsonl(self) -> TextSource:
        if self.score_field is not None and not all(
                p.suffix == ".jsonl" for p in files.matching_files(self.path)):
            raise ValueError("score_field reads .jsonl files; every file of path must be one")
        return self


class HuggingFaceSource(_Pinned):
    """A Hugging Face dataset already in the local cache (or saved with `save_to_disk`):
    nothing is downloaded. Validation is `val_split` when given, else documents of `split`
    held out by hash like every other source."""

    kind: Literal["huggingface"]
    dataset: str
    subset: str | None = None
    split: str = "train"
    val_split: str | None = None
    text_field: str = "text"
    score_field: str | None = None

    @property
    def scored(self) -> bool:
        return self.score_field is not None

    @field_validator("dataset")
    @classmethod
    def _dataset_is_local(cls, dataset: str) -> str:
        user.check_datasets_installed()
        return dataset

    def _current_fingerprint(self) -> str:
        tokenizer = files.fingerprint(self.tokenizer) if self.tokenizer else ""
        return user.dataset_fingerprint(self.dataset, self.subset, self.split,
                                        self.val_split) + tokenizer


SourceConfig = Annotated[
    BuiltinSource | MarkovSource | ShiftedSource | CorruptedSource | TokenFileSource
    | TextSource | HuggingFaceSource,
    Field(discriminator="kind"),
]

for _model in (ShiftedSource, CorruptedSource):
    _model.model_rebuild()
