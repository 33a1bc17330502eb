"""The runtime: one job in, metrics out (`python -m runtime.train JOB.json`). The only code
that runs on GPU nodes, and it imports nothing else of claimlab's.

    config/       the run config, the job contract: one pydantic model per section (no torch)
    data/         sources, mixes, the sampler and the batches a step trains on
    model/        the GPT, its parameters' roles and parametrizations, its FLOPs
    optim/        optimizers with per-role multipliers, and learning-rate schedules as phases
    training/     the loop: device, DDP, evaluation, the metrics log, checkpoints and resume
    diagnostics/  training-dynamics measurements and the coordinate check
    train.py      the entry point: a job file -> a run folder
    results.py    the results layout: what a run leaves behind, and how to read it back
"""
