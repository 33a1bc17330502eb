"""The results store under concurrency, faults and hostile input: the four tables of issue 12.

    python benchmarks/robustness.py [--cases N] [--root CHECKOUT]

- bad specs: the invalid corpus and the hostile cases of tests/compiler (each must fail
  located), and N mutated plus N generated specs (tests/compiler/spec_fuzz.py): tried,
  valid plan, located, hung (> 5 s), crashed (any other exception, or a problem without a
  location) and wrongly accepted (a known-bad spec that compiled);
- runners: four launchers at once on one plan (two `claimlab run`, launch.sh, and
  `python -m runtime.train` on each job in turn): runs tried, and runs trained twice;
- corruptions: each broken result file under `plan`, `run`, `report` and `verify`: named (the
  message names the file), silently wrong (a clean exit that names nothing), crashed;
- injections: planted checkpoints, extends of files outside the repository, devices, FIFOs,
  YAML tags and alias bombs: tried, and executed (code ran, a file outside was quoted, the
  command hung or ran out of memory).

`--root` measures another checkout (an older commit, say) with this script's cases.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

CORPUS = HERE / "tests" / "compiler" / "invalid_specs"
SPEC = """\
name: robust
base:
  model: {width: 16, depth: 1, head_dim: 8, seq_len: 32}
  parametrization: {kind: mup, base_width: 16, base_head_dim: 8}
  data: {batch_size: 4}
  budget: {steps: %(steps)d}
  eval: {every: 20, batches: 1}
  execution: {checkpoint_every: 20}
sweep:
  grid: {model.width: [16, 32], optimizer.lr: %(lrs)s}
claims:
  - id: stable
    statement: s
    check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
            across: model.width, tolerance: 0.5}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="fuzz cases of each kind")
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path[:0] = [str(root), str(HERE / "tests" / "compiler")]
    os.environ["PYTHONPATH"] = str(root)
    with tempfile.TemporaryDirectory(prefix="robustness-") as scratch:
        work = Path(scratch)
        print(bad_specs(work / "specs", args.cases), end="\n\n")
        print(runners(work / "runners", root), end="\n\n")
        print(corruptions(work / "corrupt", root), end="\n\n")
        print(injections(work / "inject", root))


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# -- bad specs ---------------------------------------------------------------------------


def bad_specs(folder: Path, cases: int) -> str:
    from spec_fuzz import generated_specs, judge, mutated_specs

    folder.mkdir(parents=True)
    shutil.copytree(CORPUS / "fragments", folder / "fragments")
    rows = []
    known = Counter(judge(spec, *_directives(spec)).kind for spec in sorted(CORPUS.glob("*.yaml")))
    hostile = Counter(judge(spec).kind for spec in _hostile_specs(folder / "hostile"))
    for name, counts in (("invalid corpus", known), ("hostile cases", hostile)):
        rows.append([name, sum(counts.values()), counts["located"], counts["hung"],
                     counts["crashed"] + counts["unlocated"], counts["plan"]])
    for name, strategy in (("mutated specs", mutated_specs), ("generated specs",
                                                               generated_specs)):
        counts, crashes = _fuzz(folder, strategy(), cases, judge)
        rows.append([f"{name} (valid plan: {counts['plan']})", sum(counts.values()),
                     counts["located"], counts["hung"], counts["crashed"] + counts["unlocated"],
                     "n/a"])
        for crash in sorted(set(crashes))[:5]:
            print(f"  {name} crash: {crash}", file=sys.stderr)
    return table(["bad specs", "tried", "located", "hung", "crashed", "wrongly accepted"], rows)


def _directives(spec: Path) -> tuple[list[str], list[str]]:
    """The profiles and --set values a corpus case is compiled with (its `# profile:` and
    `# set:` lines)."""
    lines = spec.read_text(encoding="utf-8").splitlines()
    return ([line.removeprefix("# profile: ") for line in lines
             if line.startswith("# profile: ")],
            [line.removeprefix("# set: ") for line in lines if line.startswith("# set: ")])


def _fuzz(folder: Path, strategy, cases: int, judge) -> tuple[Counter[str], list[str]]:
    from hypothesis import HealthCheck, given, settings

    counts: Counter[str] = Counter()
    crashes: list[str] = []

    @settings(max_examples=cases, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(text=strategy)
    def tally(text: str) -> None:
        spec = folder / "case.yaml"
        spec.write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome = judge(spec)
        counts[outcome.kind] += 1
        if outcome.kind in ("crashed", "unlocated"):
            crashes.append(outcome.detail)

    tally()
    return counts, crashes


def _hostile_specs(folder: Path) -> list[Path]:
    folder.mkdir()
    tiny = "name: demo\nbase: {budget: {steps: 10}}\n"
    cases = {
        "device.yaml": "extends: zero.yaml\n" + tiny,
        "fifo-user.yaml": "extends: fifo.yaml\n" + tiny,
        "absolute.yaml": "extends: /etc/passwd\n" + tiny,
        "escape.yaml": "extends: ../../../../../../etc/passwd\n" + tiny,
        "deep.yaml": "name: demo\nbase: " + "[" * 5000 + "]" * 5000 + "\n",
        "huge.yaml": "name: demo\nsweep: {grid: {optimizer.lr: ["
                     + ",".join(["1"] * 1_000_000) + "]}}\n",
        "long.yaml": "name: demo\nsweep: {grid: {optimizer.lr: ["
                     + ",".join(["1"] * 300_000) + "]}}\n",
        "bomb.yaml": "name: demo\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")),
        "steps-true.yaml": "name: demo\nbase: {budget: {steps: true}}\n",
        "quoted.yaml": 'name: demo\nbase: {budget: {steps: "40"}}\n',
        "seed.yaml": "name: demo\nsweep: {seeds: [0, 18446744073709551616]}\n",
        "tolerance.yaml": "name: demo\nsweep: {grid: {optimizer.lr: [0.1, 0.01], model.width: "
                          "[32, 64]}}\nclaims: [{id: c, statement: s, check: {kind: "
                          "argmin_stable, metric: final.val_loss, over: optimizer.lr, across: "
                          "model.width, tolerance: .inf}}]\n",
        "warmup.yaml": "name: demo\nbase: {schedule: {kind: cosine, warmup: 50}, budget: "
                       "{steps: 20}}\n",
        "inf-in-base.yaml": "name: demo\nbase: {optimizer: {lr: .inf}}\nsweep: {grid: "
                            "{optimizer.lr: [0.1]}}\n",
        "null-key.yaml": "name: demo\nbase: {optimizer: {lrr: null}}\n",
        "surrogate.yaml": 'name: demo\npaper: {title: "\\ud800"}\n',
    }
    for name, text in cases.items():
        (folder / name).write_text(text)
    (folder / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.yaml")
    binary = folder / "binary.yaml"
    binary.write_bytes(b"name: demo\npaper: {title: caf\xe9}\n")
    return [folder / name for name in cases] + [binary]


# -- runners -----------------------------------------------------------------------------


def claimlab(*args: str) -> list[str]:
    return [sys.executable, "-m", "claimlab", *args]


def _env() -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "OMP_NUM_THREADS": "1", "PATH": path}


def runners(folder: Path, root: Path) -> str:
    folder.mkdir(parents=True)
    lrs = [0.001, 0.003, 0.01]
    (folder / "spec.yaml").write_text(SPEC % {"steps": 100, "lrs": json.dumps(lrs)})
    subprocess.run(claimlab("compile", "spec.yaml"), cwd=folder, env=_env(), check=True,
                   capture_output=True)
    plan = folder / "build" / "plans" / "robust"
    ids = [run["id"] for run in json.loads((plan / "plan.json").read_text())["runs"]]
    by_hand = " ; ".join(f"{sys.executable} -m runtime.train {plan}/jobs/{run_id}.json"
                         for run_id in reversed(ids))
    commands = [claimlab("run", "spec.yaml", "-j", "2"), claimlab("run", str(plan)),
                ["bash", str(plan / "launch.sh")], ["bash", "-c", by_hand]]
    started = [subprocess.Popen(command, cwd=folder, env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for command in commands]
    outputs = [process.communicate(timeout=1200)[0] for process in started]
    pool = re.compile(r"^\[\s*\d+/\d+\] ([0-9a-f]{12}) completed (?!.*another process)")
    by_runtime = re.compile(r"^([0-9a-f]{12}) completed after")
    trained = Counter(match.group(1) for output in outputs for line in output.splitlines()
                      for match in [pool.match(line) or by_runtime.match(line)] if match)
    torn = 0
    for run_id in ids:
        text = (folder / "results" / "runs" / run_id / "metrics.jsonl").read_text()
        steps = [json.loads(line)["step"] for line in text.splitlines()]
        torn += steps != list(range(1, 101))
    rows = [[len(commands), len(ids), sum(1 for n in trained.values() if n > 1),
             len(ids) - len(trained), torn]]
    return table(["runners at once", "runs", "trained twice", "never trained",
                  "metrics logs not one line per step"], rows)


# -- corruptions -------------------------------------------------------------------------


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[len(lines) // 2] = "garbage\n"
    path.write_text("".join(lines))


CORRUPTIONS = {
    "summary cut short": ("summary.json", _cut),
    "summary empty": ("summary.json", lambda p: p.write_text("")),
    "summary {}": ("summary.json", lambda p: p.write_text("{}")),
    "summary a list": ("summary.json", lambda p: p.write_text("[1]")),
    "summary of another run": ("summary.json", lambda p: p.write_text(
        p.read_text().replace('"id": "', '"id": "0'))),
    "metrics cut short": ("metrics.jsonl", _cut),
    "metrics garbage line": ("metrics.jsonl", _garbage),
}


def corruptions(folder: Path, root: Path) -> str:
    trained = folder / "trained"
    trained.mkdir(parents=True)
    (trained / "spec.yaml").write_text(SPEC % {"steps": 20, "lrs": "[0.001, 0.1]"})
    subprocess.run(claimlab("run", "spec.yaml", "-j", "2"), cwd=trained, env=_env(),
                   check=True, capture_output=True)
    rows = []
    for case, (name, corrupt) in CORRUPTIONS.items():
        counts: Counter[str] = Counter()
        for command in (["plan", "spec.yaml"], ["report", "spec.yaml", "--out", "site"],
                        ["run", "spec.yaml"], ["verify"]):
            project = folder / "case"
            shutil.rmtree(project, ignore_errors=True)
            shutil.copytree(trained, project)
            run_id = sorted(p.name for p in (project / "results" / "runs").iterdir())[0]
            path = Path("results") / "runs" / run_id / name
            corrupt(project / path)
            done = subprocess.run(claimlab(*command), cwd=project, env=_env(),
                                  capture_output=True, text=True, timeout=600)
            said = done.stdout + done.stderr
            if "Traceback" in said:
                counts["crashed"] += 1
            elif str(path) in said:
                counts["named"] += 1
            else:
                counts["silently wrong"] += 1
        rows.append([case, sum(counts.values()), counts["named"], counts["silently wrong"],
                     counts["crashed"]])
    rows += _checkpoint_faults(folder / "faults")
    return table(["corruption (plan, report, run, verify)", "tried", "named",
                  "silently wrong", "crashed"], rows)


_RESUME = """\
import sys, threading
from pathlib import Path
from runtime.config.run import RunConfig
from runtime.results import checkpoint_path
from runtime.train import train
config = RunConfig.model_validate({"model": {"width": 16, "depth": 1, "head_dim": 8,
    "seq_len": 32}, "data": {"batch_size": 4}, "budget": {"steps": 40},
    "eval": {"every": 10, "batches": 1},
    "execution": {"checkpoint_every": 10, "checkpoint_minutes": 0, "keep_checkpoints": [10]}})
run, case = Path(sys.argv[1]), sys.argv[2]
stop = threading.Event()
train(config, run, stop=stop, on_eval=lambda r: r["step"] >= 20 and stop.set())
if case == "checkpoint":
    newest = sorted((run / "ckpt").glob("step-*.pt"))[-1]
    newest.write_bytes(newest.read_bytes()[:1000])
else:
    log = run / "metrics.jsonl"
    log.write_bytes(log.read_bytes()[:300])
summary = train(config, run)
straight = train(config, run.with_name("straight-" + case))
same = summary["final"] == straight["final"] and b"\\0" not in (run / "metrics.jsonl").read_bytes()
print(summary["status"], bool(summary.get("notes")), same)
"""


def _checkpoint_faults(folder: Path) -> list[list[object]]:
    folder.mkdir(parents=True)
    rows = []
    for case, label in (("checkpoint", "newest checkpoint cut short (resume)"),
                        ("metrics", "metrics log shorter than its checkpoint (resume)")):
        done = subprocess.run([sys.executable, "-c", _RESUME, str(folder / f"run-{case}"), case],
                              env=_env(), capture_output=True, text=True, timeout=600)
        words = done.stdout.split()
        if "Traceback" in done.stderr or len(words) != 3:
            rows.append([label, 1, 0, 0, 1])
        else:
            status, said, same = words
            ok = status == "completed" and said == "True" and same == "True"
            rows.append([label, 1, int(ok), int(not ok), 0])
    return rows


# -- injections --------------------------------------------------------------------------


def injections(folder: Path, root: Path) -> str:
    folder.mkdir(parents=True)
    marker = folder / "executed"
    tiny = "name: demo\nbase: {budget: {steps: 10}}\n"
    secret = folder / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("name: top-secret-value\n")
    specs = folder / "specs"
    specs.mkdir()
    (specs / "zero.yaml").symlink_to("/dev/zero")
    (specs / "link.yaml").symlink_to(secret)
    os.mkfifo(specs / "fifo.yaml")
    cases = {
        "extends an absolute path": "extends: " + str(secret) + "\nbase: {budget: {steps: 10}}\n",
        "extends ../ out of the folder": "extends: ../outside/secret.yaml\n"
                                         "base: {budget: {steps: 10}}\n",
        "extends a link out of the folder": "extends: link.yaml\nbase: {budget: {steps: 10}}\n",
        "extends /dev/zero": "extends: zero.yaml\n" + tiny,
        "extends a FIFO": "extends: fifo.yaml\n" + tiny,
        "YAML python tag": f"name: !!python/object/apply:os.system ['touch {marker}']\n",
        "YAML alias bomb": "name: demo\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")),
    }
    rows = []
    for case, text in cases.items():
        spec = specs / "case.yaml"
        spec.write_text(text)
        try:
            done = subprocess.run(["prlimit", "--as=4000000000", *claimlab("validate",
                                                                            str(spec))],
                                  env=_env(), capture_output=True, text=True, timeout=60)
            said = done.stdout + done.stderr
            executed = (marker.exists() or "top-secret-value" in said or "Traceback" in said
                        or done.returncode < 0)
        except subprocess.TimeoutExpired:
            executed = True
        rows.append([case, 1, int(executed)])
        marker.unlink(missing_ok=True)
    rows.append(["planted pickle as a checkpoint (resume)", 1, _planted_pickle(folder)])
    return table(["injection", "tried", "executed (ran code, quoted, hung or crashed)"], rows)


_PLANT = """\
import os, sys, torch
from pathlib import Path
from runtime.config.run import RunConfig
from runtime.results import checkpoint_path
from runtime.train import train
config = RunConfig.model_validate({"model": {"width": 16, "depth": 1, "head_dim": 8,
    "seq_len": 32}, "data": {"batch_size": 4}, "budget": {"steps": 20},
    "eval": {"every": 10, "batches": 1}})
run, marker = Path(sys.argv[1]), sys.argv[2]
class Planted:
    def __reduce__(self):
        return os.system, (f"touch {marker}",)
target = checkpoint_path(run, 10)
target.parent.mkdir(parents=True)
torch.save({"run_id": config.run_id(), "position": {"step": 10}, "model": Planted(),
            "optimizer": {}, "rng": {}}, target)
train(config, run)
"""


def _planted_pickle(folder: Path) -> int:
    marker = folder / "pickle-executed"
    subprocess.run([sys.executable, "-c", _PLANT, str(folder / "planted"), str(marker)],
                   env=_env(), capture_output=True, text=True, timeout=600)
    return int(marker.exists())


if __name__ == "__main__":
    main()
