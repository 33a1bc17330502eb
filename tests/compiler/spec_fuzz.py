"""Hypothesis strategies for hostile spec text, and the judge of what compiling one did.

Two sources of cases: mutations of real specs (the catalog's and the invalid corpus's: a value
swapped for a hostile one, a line lost, doubled, re-indented, a hostile line inserted, the text
cut short), and documents generated from the spec's own vocabulary (every key and config path
its models know), nested at random with values of every YAML kind. Used by the bounded fuzz
test and by benchmarks/robustness.py.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from compiler import SpecError, compile_spec
from compiler.language.config_paths import known_paths
from compiler.language.json_schema import spec_schema

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted([*(ROOT / "specs").glob("*.yaml"),
                *(ROOT / "tests" / "compiler" / "invalid_specs").glob("*.yaml")])
LIMIT_S = 5.0

HOSTILE_VALUES = [
    "true", "false", "null", "~", '"40"', "'0.01'", ".inf", "-.inf", ".nan", "1e400", "-1", "0",
    "99999999999999999999", "18446744073709551616", "[]", "{}", "[1, [2, [3]]]", '"\\ud800"',
    '"\\x00"', "!!python/object/apply:os.system ['echo pwned']", "!!binary aGk=", "*nope",
    "&a [*a]", "{range: [0, 10]}", "{logspace: [0, 1, 1000000]}", '"' + "x" * 500 + '"',
    "yes", "0x10", "1_000", "2024-01-01", "'\\t'", "|\n  text",
]
HOSTILE_LINES = [
    "extends: /etc/passwd", "extends: ../../../../../../etc/passwd", "extends: /dev/zero",
    "extends: [specs/../../x.yaml]", "x: &a [*a]", "a: &a {b: *a}", "<<: {name: x}",
    "base: !!python/object/apply:os.system ['touch /tmp/claimlab-fuzz-pwned']",
    "name: !local x", "  lrr: null", "foo: null", "base: {budget: {steps: true}}",
    "base: {seed: 4294967296}", "sweep: {seeds: [-1, 2.5]}", "\tname: tab", "---",
    "name: \"\\ud83d\"", "base: " + "[" * 200 + "]" * 200, "profiles: {gpu: {base: null}}",
]


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    """The text of a real spec, mutated one to three times."""
    text = draw(st.sampled_from(SEEDS)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        text = draw(_mutation(text))
    return text


def _mutation(text: str) -> st.SearchStrategy[str]:
    lines = text.splitlines() or [""]
    index = st.integers(0, len(lines) - 1)

    def with_line(i: int, new: list[str]) -> str:
        return "\n".join([*lines[:i], *new, *lines[i + 1:]]) + "\n"

    def value_swapped(i: int, value: str) -> str:
        key, colon, _ = lines[i].partition(":")
        return with_line(i, [f"{key}: {value}" if colon else value])

    return st.one_of(
        st.builds(value_swapped, index, st.sampled_from(HOSTILE_VALUES)),
        st.builds(lambda i: with_line(i, []), index),
        st.builds(lambda i: with_line(i, [lines[i], lines[i]]), index),
        st.builds(lambda i, line: with_line(i, [line, lines[i]]), index,
                  st.sampled_from(HOSTILE_LINES)),
        st.builds(lambda i: with_line(i, ["  " + lines[i]]), index),
        st.builds(lambda i: with_line(i, [lines[i].lstrip()]), index),
        st.builds(lambda cut: text[:cut], st.integers(0, len(text))),
        st.builds(lambda i, junk: with_line(i, [lines[i] + junk]), index,
                  st.text(min_size=1, max_size=4)),
    )


def _vocabulary() -> list[str]:
    words: set[str] = set(known_paths())

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            words.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec_schema())
    return sorted(words)


VOCABULARY = _vocabulary()
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.sampled_from(["sp", "mup", "adamw", "cosine", "wsd", "final.val_loss", "optimizer.lr",
                     "model.width", "argmin_stable", "demo"]),
    st.text(max_size=12),
)


@st.composite
def generated_specs(draw: st.DrawFn) -> str:
    """A document of the spec's own keys, nested at random, with random values, as YAML."""
    values = st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=8), inner,
                            max_size=4)),
        max_leaves=25)
    data = draw(st.dictionaries(st.sampled_from(VOCABULARY), values, max_size=6))
    if draw(st.booleans()):
        data["name"] = "generated"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@dataclass(frozen=True)
class Outcome:
    kind: str           # "plan", "located", "unlocated", "crashed", "hung"
    seconds: float
    detail: str = ""


class _Hung(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _Hung

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(spec: Path, profiles: Sequence[str] = (), sets: Sequence[str] = ()) -> Outcome:
    """Compile `spec` as `claimlab compile` would, and say how it ended: a plan that
    serialises, an error whose every problem is located, or a failure."""
    started = time.perf_counter()
    try:
        with _deadline(LIMIT_S * 2):
            compiled = compile_spec(spec, profiles=profiles, sets=sets)
            json.dumps(compiled.plan.to_json()).encode("utf-8")
    except _Hung:
        return Outcome("hung", time.perf_counter() - started)
    except SpecError as error:
        elapsed = time.perf_counter() - started
        try:
            str(error).encode("utf-8")
        except UnicodeEncodeError as crash:
            return Outcome("crashed", elapsed, f"unprintable error: {crash}")
        unlocated = [str(p) for p in error.problems if p.location is None]
        if unlocated:
            return Outcome("unlocated", elapsed, unlocated[0])
        return Outcome("hung" if elapsed > LIMIT_S else "located", elapsed)
    except Exception as crash:  # anything else is what a user would see as a traceback
        return Outcome("crashed", time.perf_counter() - started,
                       f"{type(crash).__name__}: {crash}"[:300])
    elapsed = time.perf_counter() - started
    return Outcome("hung" if elapsed > LIMIT_S else "plan", elapsed)
