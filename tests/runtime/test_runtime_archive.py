"""Results archives (runtime/archive.py): finished runs packed, merged back whole, and hostile
or broken archives refused with the archive named, writing nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from runtime import archive, lease
from runtime.archive import ArchiveError, merge, pack
from runtime.results import read_summary, run_dir
from runtime.train import train


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_module) -> tuple[Path, list[str]]:
    """A results folder with two finished runs, one unfinished (killed: no summary) and one
    failed."""
    results = tmp_path_factory.mktemp("results")
    ids = []
    for seed in (0, 1):
        config = tiny_module(seed=seed, budget={"steps": 6}, eval={"every": 3})
        train(config, run_dir(results, config.run_id()))
        ids.append(config.run_id())
    killed = run_dir(results, "0123456789ab")
    killed.mkdir(parents=True)
    (killed / "metrics.jsonl").write_text('{"step": 1}\n')
    failed = tiny_module(seed=2, budget={"steps": 6}, optimizer={"lr": 1e-2})
    run = run_dir(results, failed.run_id())
    run.mkdir(parents=True)
    (run / "config.json").write_text(failed.model_dump_json())
    (run / "metrics.jsonl").write_text("")
    (run / "summary.json").write_text(json.dumps({"id": failed.run_id(), "status": "failed",
                                                  "final": {}, "steps": 0, "tokens": 0}))
    return results, sorted(ids)


@pytest.fixture(scope="module")
def tiny_module():
    from runtime.config.run import RunConfig

    def build(**sections):
        config = {"model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
                  "parametrization": {"base_width": 32}, "optimizer": {"lr": 1e-2},
                  "data": {"batch_size": 8}, "budget": {"steps": 40},
                  "eval": {"every": 20, "batches": 2}}
        for name, value in sections.items():
            config[name] = {**config.get(name, {}), **value} if isinstance(value, dict) else value
        return RunConfig.model_validate(config)

    return build


def test_only_finished_runs_are_packed_and_packing_again_gives_the_same_bytes(trained, tmp_path):
    results, ids = trained
    packed = pack(results, tmp_path / "a.tar.xz")
    assert packed.runs == ids
    assert len(packed.skipped) == 2  # the killed run and the failed one
    with tarfile.open(tmp_path / "a.tar.xz") as tar:
        names = tar.getnames()
    assert sorted(names) == sorted(f"runs/{i}/{f}" for i in ids
                                   for f in ("config.json", "summary.json", "metrics.jsonl"))
    pack(results, tmp_path / "b.tar.xz")
    assert (tmp_path / "a.tar.xz").read_bytes() == (tmp_path / "b.tar.xz").read_bytes()
    assert pack(results, tmp_path / "c.tar.xz", run_ids=ids[:1]).runs == ids[:1]


def test_a_merged_run_is_byte_for_byte_the_packed_one(trained, tmp_path):
    results, ids = trained
    pack(results, tmp_path / "a.tar.xz")
    merged = merge(tmp_path / "a.tar.xz", tmp_path / "elsewhere")
    assert merged.added == ids
    for run_id in ids:
        for name in ("config.json", "summary.json", "metrics.jsonl"):
            assert (run_dir(tmp_path / "elsewhere", run_id) / name).read_bytes() == \
                (run_dir(results, run_id) / name).read_bytes()
        assert read_summary(tmp_path / "elsewhere", run_id)["status"] == "completed"
    again = merge(tmp_path / "a.tar.xz", tmp_path / "elsewhere")
    assert (again.added, again.unchanged) == ([], ids)


def test_a_different_finished_run_is_a_conflict_and_is_kept(trained, tmp_path):
    results, ids = trained
    pack(results, tmp_path / "a.tar.xz")
    here = tmp_path / "here"
    merge(tmp_path / "a.tar.xz", here)
    config = run_dir(here, ids[0]) / "config.json"
    config.write_text(config.read_text() + " ")
    merged = merge(tmp_path / "a.tar.xz", here)
    assert merged.conflicts == [ids[0]] and merged.unchanged == ids[1:]
    assert config.read_text().endswith(" ")


def test_an_unfinished_run_is_replaced_unless_it_is_being_trained(trained, tmp_path):
    results, ids = trained
    pack(results, tmp_path / "a.tar.xz")
    here = tmp_path / "here"
    for run_id in ids:
        run_dir(here, run_id).mkdir(parents=True)
        (run_dir(here, run_id) / "metrics.jsonl").write_text('{"step": 1}\n')
    with lease.take(run_dir(here, ids[1])):
        merged = merge(tmp_path / "a.tar.xz", here)
    assert merged.added == ids[:1] and merged.busy == ids[1:]
    assert read_summary(here, ids[0])["status"] == "completed"
    assert read_summary(here, ids[1]) is None
    assert not [p for p in (here / "runs").iterdir() if p.name.startswith(".")]


def _archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:xz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize(("members", "message"), [
    ([(_file("../escape.json"), b"{}")], "unexpected member '../escape.json'"),
    ([(_file("/etc/cron.d/x"), b"x")], "unexpected member '/etc/cron.d/x'"),
    ([(_file("runs/0123456789ab/../../x"), b"x")], "unexpected member"),
    ([(_link("runs/0123456789ab/summary.json", "/etc/passwd"), b"")], "unexpected member"),
    ([(_file("runs/0123456789ab/ckpt.pt"), b"x")], "unexpected member"),
    ([(_file("runs/0123456789ab/summary.json"), b"{}")], "lacks config.json, metrics.jsonl"),
])
def test_a_hostile_archive_is_refused_and_nothing_is_written(tmp_path, members, message):
    bad = _archive(tmp_path / "bad.tar.xz", members)
    with pytest.raises(ArchiveError, match=message) as error:
        merge(bad, tmp_path / "results")
    assert str(bad) in str(error.value)
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "escape.json").exists()


def test_a_run_whose_summary_does_not_vouch_for_its_log_is_refused(trained, tmp_path):
    results, ids = trained
    run = run_dir(results, ids[0])
    files = {n: (run / n).read_bytes() for n in ("config.json", "summary.json", "metrics.jsonl")}
    files["metrics.jsonl"] = files["metrics.jsonl"][: len(files["metrics.jsonl"]) // 2]
    bad = _archive(tmp_path / "cut.tar.xz",
                   [(_file(f"runs/{ids[0]}/{n}"), data) for n, data in files.items()])
    with pytest.raises(ArchiveError, match=f"run {ids[0]}'s metrics.jsonl"):
        merge(bad, tmp_path / "results")


def test_a_truncated_or_missing_archive_is_named(trained, tmp_path, monkeypatch):
    results, _ = trained
    pack(results, tmp_path / "a.tar.xz")
    data = (tmp_path / "a.tar.xz").read_bytes()
    (tmp_path / "cut.tar.xz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="cut.tar.xz: not a readable results archive"):
        merge(tmp_path / "cut.tar.xz", tmp_path / "results")
    with pytest.raises(ArchiveError, match="nope.tar.xz: no such archive"):
        merge(tmp_path / "nope.tar.xz", tmp_path / "results")
    monkeypatch.setattr(archive, "MAX_EXPANDED_BYTES", 1000)
    with pytest.raises(ArchiveError, match="expands to more than"):
        merge(tmp_path / "a.tar.xz", tmp_path / "results")
