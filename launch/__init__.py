"""Launching: a plan on disk, and every way of turning it into runs.

    emit.py         a Plan -> plan.json, jobs/<id>.json, launch.sh and the Slurm scripts
    launch_sh.py    launch.sh: the plan's runs one torchrun each, on any machine with bash
    slurm.py        the plan as Slurm job arrays, one array per stage level
    slurm_submit.py what `--target slurm` writes, and the command that submits it
    job_graph.py    which runs start from which: the dependencies among a plan's jobs
    local.py        the local executor: N runs at a time in long-lived worker processes

Each launcher runs `runtime.train` on job files; `launch` may import `compiler` (the Plan) and
`runtime` (the job contract and results layout), and nothing imports `launch` but the CLI.
"""

from launch.emit import write_plan, write_slurm

__all__ = ["write_plan", "write_slurm"]
