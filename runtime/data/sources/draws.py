"""What every source config has: how a run draws from the source, and what its tokens are."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from runtime.config.base import NEW, PositiveInt, Strict

BYTES = 256
# What a source's token ids mean (`Draws.tokenization`), besides a tokenizer file's path.
BYTES_TOKENS, TOKEN_IDS = "bytes", "token ids"

Order = Literal["random", "shuffled", "ascending", "descending"]


class Draws(Strict):
    """What every source has: how a run draws windows of seq_len + 1 tokens from its train
    split."""

    order: Order = "random"
    """random: windows at random positions, drawn independently; shuffled: every window once
    per epoch, in a new random order each epoch; ascending: documents by score, lowest first,
    windows in that order (curricula); descending: the same, highest score first"""
    unique_tokens: PositiveInt | None = None
    """train on at most this many distinct tokens of the source"""
    epochs: Annotated[float, Field(gt=0)] | None = None
    """or let the run's draws from the source repeat each of its windows this many times (the
    source is cut to the tokens that takes)"""
    loss_weight: Annotated[float, Field(ge=0)] = 1.0
    """the weight of this source's tokens in the training loss"""
    bins: Annotated[PositiveInt | None, NEW] = None
    """ascending or descending: cut the windows, in score order, into this many consecutive
    bins of equal size and shuffle the windows within each, anew each epoch, so that a
    batch mixes documents of about the same score rather than reading one document straight
    through; none: the windows in strict order"""

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
        if self.bins is not None and self.order not in ("ascending", "descending"):
            raise ValueError("bins cut a curriculum's windows: they need order: ascending or "
                             "descending")
        if self.order in ("ascending", "descending") and not self.scored:
            raise ValueError(f"order {self.order!r} sorts documents by score, and this "
                             f"source has none (corrupted sources and text or huggingface "
                             f"sources with a score_field do)")
        return self
