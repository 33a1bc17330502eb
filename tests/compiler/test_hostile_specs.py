"""Specs come from pull requests and shared folders: whatever one says, compiling it ends in a
located error within seconds, reads nothing outside the spec's repository (or its folder) and
quotes nothing from a file it refuses."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from compiler import SpecError, compile_spec
from compiler.language.files import MAX_BYTES
from compiler.language.yaml_source import MAX_DEPTH, MAX_VALUES

TINY = "name: demo\nbase: {budget: {steps: 10}}\n"


def problems(spec: Path) -> list[str]:
    started = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        compile_spec(spec)
    assert time.perf_counter() - started < 5, "a hostile spec must be refused quickly"
    return str(caught.value).splitlines()


def test_a_device_is_refused_without_reading_it(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "spec.yaml").write_text("extends: zero.yaml\n" + TINY)
    assert problems(tmp_path / "spec.yaml") == [
        f"{tmp_path}/spec.yaml:1:10: extends: leads outside the spec's folder (it is in no git "
        "repository); fragments are read only from inside it"]
    with pytest.raises(SpecError, match=r"^/dev/zero:1:1: cannot read /dev/zero: not a regular "
                                        r"file \(a device, FIFO or socket\)$"):
        compile_spec("/dev/zero")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "spec.yaml").write_text("extends: fifo.yaml\n" + TINY)
    assert problems(tmp_path / "spec.yaml") == [
        f"{tmp_path}/spec.yaml:1:10: extends: cannot read fragment {tmp_path}/fifo.yaml: not "
        "a regular file (a device, FIFO or socket)"]


@pytest.mark.parametrize("entry", ["/etc/passwd", "../outside.yaml", "inner/../../outside.yaml",
                                   "link/outside.yaml"])
def test_fragments_outside_the_folder_are_never_read_nor_quoted(tmp_path, entry):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: root:x:0:0\n")
    folder = tmp_path / "specs"
    (folder / "inner").mkdir(parents=True)
    (folder / "link").symlink_to(tmp_path)
    (folder / "spec.yaml").write_text(f"extends: {entry}\n" + TINY)
    found = problems(folder / "spec.yaml")
    assert len(found) == 1 and found[0].startswith(f"{folder}/spec.yaml:1:10: extends: ")
    assert "root:x" not in found[0] and "secret" not in found[0]


def test_inside_a_git_repository_fragments_may_come_from_anywhere_in_it(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "base.yaml").write_text("base: {budget: {steps: 7}}\n")
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "spec.yaml"
    spec.write_text("extends: ../fragments/base.yaml\nname: demo\n")
    assert compile_spec(spec).spec.base.budget.steps == 7
    spec.write_text("extends: ../../fragments/base.yaml\nname: demo\n")
    assert problems(spec) == [f"{spec}:1:10: extends: leads outside the spec's git repository; "
                              "fragments are read only from inside it"]


def test_a_file_past_the_size_limit_is_refused_before_it_is_parsed(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: demo\nsweep: {grid: {optimizer.lr: [" + ",".join(["0.1"] * 400_000)
                    + "]}}\n")
    assert spec.stat().st_size > MAX_BYTES
    assert problems(spec) == [f"{spec}:1:1: cannot read {spec}: larger than 1 MiB, far more "
                              "than any spec needs"]


def test_a_huge_list_stops_at_the_limit(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: demo\nsweep: {grid: {optimizer.lr: [" + ",".join(["1"] * 300_000)
                    + "]}}\n")
    [found] = problems(spec)
    assert found.startswith(f"{spec}:2:") and found.endswith(
        f": more than {MAX_VALUES:,} values: far more than a spec holds")


@pytest.mark.parametrize("opening,closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_located_error_not_a_recursion_error(tmp_path, opening, closing):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: demo\nbase: " + opening * 5000 + "1" + closing * 5000 + "\n")
    [found] = problems(spec)
    assert found.startswith(f"{spec}:2:") and found.endswith(
        f": nested more than {MAX_DEPTH} levels deep")


def test_an_alias_bomb_stops_at_the_limit_quickly(tmp_path):
    lines = ["name: demo", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    spec = tmp_path / "spec.yaml"
    spec.write_text("\n".join(lines) + "\n")
    [found] = problems(spec)
    assert found.endswith(f"its aliases repeat values past {MAX_VALUES:,}, far more than a "
                          "spec holds")
