"""The `data` section of a run config: sources, how they are mixed, and in which phases.

    data:
      sources: {old: {kind: builtin, name: stdlib-prose}, new: {kind: builtin, name: stdlib-code}}
      phases:                      # omit for one mix over the whole run (`mix:` or `temperature:`)
        pretrain: {mix: {old: 1.0}}
        update: {start: 0.5, mix: {new: 0.95, old: 0.05}}

A mix is either weights per source (normalised to sum to 1) or temperature sampling,
p(source) proportional to n ** (1 / temperature) with n its train tokens, over the sources
`over` names (all by default); `temperature: [1, 5]` moves linearly from 1 to 5 over the phase.
A phase starts at a step (`start: 500`), a fraction of the run (`start: 0.5`) or a number of
tokens (`start: {tokens: 2000000}`), rounded to whole steps like every length in a config; it
lasts until the next phase starts.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from runtime.config.base import NEW, Length, PositiveInt, Strict, Tokens, length_in_steps
from runtime.data.sources.configs import BYTES_TOKENS, TOKEN_IDS, BuiltinSource, SourceConfig

Weights = dict[str, Annotated[float, Field(ge=0)]]
PositiveFloat = Annotated[float, Field(gt=0)]
Temperature = PositiveFloat | tuple[PositiveFloat, PositiveFloat]

# Source names become parts of metric names (`val_loss/<name>`) and of report columns.
# These name the weight averages' losses instead (`val_loss/ema`).
AVERAGED_WEIGHTS = ("ema", "avg_last")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class MixConfig(Strict):
    """One mix of the sources: `mix` weights, or `temperature` sampling."""

    mix: Weights | None = None
    """source name -> weight, normalised to sum to 1 (a source left out gets 0)"""
    temperature: Temperature | None = None
    """sample source i with probability proportional to n_i ** (1 / temperature), n_i its
    train tokens; [t0, t1] moves linearly from t0 to t1 over the phase"""
    over: tuple[str, ...] | None = None
    """the sources temperature sampling draws from (default: all)"""

    @model_validator(mode="after")
    def _one_kind_of_mix(self) -> MixConfig:
        if self.mix is not None and self.temperature is not None:
            raise ValueError("give mix weights or a temperature, not both")
        if self.over is not None and self.temperature is None:
            raise ValueError("over names the sources temperature sampling draws from; "
                             "it needs a temperature")
        if self.mix is not None and not any(w > 0 for w in self.mix.values()):
            raise ValueError("mix needs at least one source with a positive weight")
        return self

    def named_sources(self) -> set[str]:
        return set(self.mix or ()) | set(self.over or ())


class MixPhase(MixConfig):
    start: Length = 0
    """where the phase starts: a step, a fraction of the run or {tokens: N}, rounded half up
    to whole steps; it lasts until the next phase starts"""

    @model_validator(mode="after")
    def _has_a_mix(self) -> MixPhase:
        if self.mix is None and self.temperature is None:
            raise ValueError("a phase needs mix weights or a temperature")
        return self

    @property
    def starts_the_run(self) -> bool:
        return (self.start.tokens if isinstance(self.start, Tokens) else self.start) == 0


class DataConfig(MixConfig):
    sources: dict[str, SourceConfig] = Field(default_factory=lambda: {"code": BuiltinSource()})
    """name -> source; the name labels its metrics (`val_loss/<name>`) and its mix weight"""
    phases: dict[str, MixPhase] | None = None
    """name -> a mix and the step it starts at, instead of one mix for the whole run"""
    batch_size: PositiveInt = 16
    """sequences per step, over all processes"""
    val_fraction: float = Field(0.05, gt=0, lt=1)
    """share of each source's documents held out for validation (a deterministic split)"""
    full_batch: Annotated[bool, NEW] = False
    """train every step on one fixed set: the first step's batch_size sequences, drawn by the
    mix, so that each step's gradient is the exact gradient of the loss over that set
    (full-batch gradient descent, deterministic); it takes one mix, not phases"""

    @model_validator(mode="after")
    def _mixes_fit_sources(self) -> DataConfig:
        _check_source_names(self.sources)
        if self.full_batch and self.phases is not None:
            raise ValueError("full_batch trains on one fixed set of sequences drawn by one "
                             "mix; it cannot change mix in phases")
        if self.phases is not None:
            _check_phases(self)
        elif self.mix is None and self.temperature is None:
            # Unset: every source equally (the default config's one source, `code`).
            object.__setattr__(self, "mix", {name: 1.0 for name in self.sources})
        for name, mix in self.mixes().items():
            unknown = sorted(mix.named_sources() - set(self.sources))
            if unknown:
                where = "the mix" if self.phases is None else f"phase {name!r}"
                raise ValueError(f"{where} names unknown source(s) {', '.join(unknown)}; "
                                 f"sources are {', '.join(sorted(self.sources))}")
        _check_vocabularies(self.sources)
        return self

    def mixes(self) -> dict[str, MixConfig]:
        """Each phase's mix by name, or the one mix (named 'all') for the whole run."""
        return dict(self.phases) if self.phases is not None else {"all": self}

    @property
    def vocab_size(self) -> int:
        """How many token ids the data uses: what the model's vocabulary must cover."""
        return max(source.vocabulary for source in self.sources.values())

    def phase_starts(self, steps: int, seq_len: int) -> dict[str, int]:
        """Each phase's first step, in order; ValueError when two share one or a phase
        would start after the run's last step."""
        if self.phases is None:
            return {"all": 0}
        tokens_per_step = self.batch_size * seq_len
        starts = {name: length_in_steps(phase.start, steps, tokens_per_step)
                  for name, phase in self.phases.items()}
        ordered = dict(sorted(starts.items(), key=lambda item: (item[1], item[0])))
        for name, step in ordered.items():
            if step >= steps:
                raise ValueError(f"data.phases.{name} starts at step {step}, after the run's "
                                 f"last step ({steps - 1}, counting from 0)")
        seen: dict[int, str] = {}
        for name, step in ordered.items():
            if step in seen:
                raise ValueError(f"data.phases.{seen[step]} and data.phases.{name} both "
                                 f"start at step {step}")
            seen[step] = name
        return ordered


def _check_source_names(sources: dict[str, SourceConfig]) -> None:
    bad = [name for name in sources if not _NAME.fullmatch(name)]
    if bad:
        raise ValueError(f"source name {bad[0]!r}: expected lowercase letters, digits, "
                         "'_', '.' or '-', starting with a letter or digit")
    taken = sorted(set(sources) & set(AVERAGED_WEIGHTS))
    if taken:
        raise ValueError(f"source name {taken[0]!r} is taken: `val_loss/{taken[0]}` is the "
                         "validation loss of averaged weights (eval.ema, eval.average_last)")


def _check_phases(data: DataConfig) -> None:
    if data.mix is not None or data.temperature is not None:
        raise ValueError("give phases, or one mix for the whole run, not both")
    first = [name for name, phase in data.phases.items() if phase.starts_the_run]
    if len(first) != 1:
        raise ValueError("exactly one phase must start at step 0, found "
                         f"{len(first)}" + (f" ({', '.join(first)})" if first else ""))


def _check_vocabularies(sources: dict[str, SourceConfig]) -> None:
    """Sources of one run must share their token ids: all bytes, or all one tokenizer
    (token files, whose tokenizer is unknown, may go with any tokenizer but bytes)."""
    tokenizations = {name: source.tokenization for name, source in sources.items()}
    distinct = set(tokenizations.values())
    if len(distinct - {TOKEN_IDS}) > 1 or (BYTES_TOKENS in distinct and len(distinct) > 1):
        described = ", ".join(f"{name} ({kind})" for name, kind in sorted(tokenizations.items()))
        raise ValueError(f"sources must share one tokenization, found {described}")
