"""The corpus of invalid specs (invalid_specs/): each file says, in its leading comments,
every problem compiling it must report, in order, as `LINE:COL: path: message`.

    # What the case is about.
    # error: 4:11: base.model.widht: unknown key 'widht' (did you mean 'width'?)
    # error: fragments/broken.yaml:2:3: ...     (a problem in another file of the corpus)
    # error: --set:1:18: ...                    (a problem in the first --set)
    # set: base.model.width=wide                (compile with this --set)
    # profile: gpu                              (compile with this profile)

`{one_of:PATH}` in a message stands for the options of the config field at PATH, as
`one of 'a', 'b'`, so that adding an option to the runtime does not break the corpus.
"""

import re
from pathlib import Path

import pytest

from compiler import SpecError, compile_spec
from compiler.language.config_paths import field_type, split
from compiler.language.errors import show
from compiler.language.model_paths import literal_values

CORPUS = Path(__file__).parent / "invalid_specs"
SPECS = sorted(CORPUS.glob("*.yaml"))
_DIRECTIVE = re.compile(r"# (error|set|profile): (.*)")
_ONE_OF = re.compile(r"\{one_of:([\w.]+)\}")
_LOCATED = re.compile(r"(?:(?P<file>[^:\s]+):)?(?P<line>\d+):(?P<column>\d+): (?P<rest>.*)")


def directives(spec: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"error": [], "set": [], "profile": []}
    for line in spec.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = _DIRECTIVE.fullmatch(line)
        if match:
            found[match.group(1)].append(match.group(2))
    return found


def expected_line(text: str, spec: Path) -> str:
    text = _ONE_OF.sub(lambda m: "one of " + ", ".join(
        map(show, literal_values([field_type(split(m.group(1)))]))), text)
    match = _LOCATED.fullmatch(text)
    assert match, f"{spec.name}: an error line must start LINE:COL: or FILE:LINE:COL:"
    file = match.group("file") or spec.name
    return f"{file}:{match.group('line')}:{match.group('column')}: {match.group('rest')}"


def test_the_corpus_has_at_least_forty_invalid_specs():
    assert len(SPECS) >= 40
    assert all(directives(spec)["error"] for spec in SPECS), "every case names its errors"


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_invalid_spec_reports_every_problem_located(spec, monkeypatch):
    monkeypatch.chdir(CORPUS)   # as a user compiles: files named relative to where they are
    wanted = directives(spec)
    with pytest.raises(SpecError) as caught:
        compile_spec(spec.name, profiles=wanted["profile"], sets=wanted["set"])
    assert str(caught.value).splitlines() == [expected_line(e, spec) for e in wanted["error"]]
