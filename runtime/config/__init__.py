"""The run config: the job contract between the compiler and the runtime (no torch).

    run.py        RunConfig, its run id and the job file
    base.py       what every section is built from
    model.py      `model` and `parametrization`
    optimizer.py  `optimizer`, one model per kind
    schedule.py   `schedule`, a named schedule or a list of phases
    data.py       `data`: sources (their configs live in runtime/data/sources/), mix, phases
    training.py   `budget`, `eval`, `stability`, `start` and `execution`
    registry.py   the table next to each union of kinds: kind -> its implementation
"""
