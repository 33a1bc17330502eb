"""Planning: a validated spec -> the sorted, deterministic Plan of its runs.

    plan.py         Plan and PlannedRun, and build_plan
    expand.py       the sweep's runs as overrides of `base`; derive.py its derived values
    duplicates.py   sweep values that make runs the plan already has
    stages.py       runs that start from another run's checkpoint, and their levels
    run_config.py   plain config data -> RunConfig and run id; blame.py puts a bad run's
                    problems back on the spec values that made it
    estimate.py     what a run costs: parameters, tokens, FLOPs, GPU-hours
    diff.py         what a spec change does to its plan
"""
