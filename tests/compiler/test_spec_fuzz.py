"""Bounded fuzzing of the compiler: whatever a spec says, compiling it ends in a valid plan or
in an error whose every problem is located (FILE:LINE:COL), within 5 s, and never in any other
exception (what a user would see as a traceback). Cases are real specs mutated and documents
generated from the spec's own vocabulary (spec_fuzz.py); the run is derandomized, so CI tries
the same cases every time."""

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from spec_fuzz import LIMIT_S, ROOT, generated_specs, judge, mutated_specs

BOUNDED = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside any repository with the fragments the mutated specs extend."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "tests" / "compiler" / "invalid_specs" / "fragments",
                    folder / "fragments")
    return folder


def _check(folder: Path, text: str) -> None:
    spec = folder / "case.yaml"
    spec.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome = judge(spec)
    assert outcome.kind in ("plan", "located"), (outcome, text)
    assert outcome.seconds < LIMIT_S, (outcome, text)
    assert not Path("/tmp/claimlab-fuzz-pwned").exists()


@BOUNDED
@given(text=mutated_specs())
def test_mutated_specs_compile_or_fail_located(folder, text):
    _check(folder, text)


@BOUNDED
@given(text=generated_specs())
def test_generated_specs_compile_or_fail_located(folder, text):
    _check(folder, text)
