"""The spec language: what a spec file may say, and where each thing was written.

    yaml_source.py      YAML -> plain data, with the file, line and column of every key and value
    locations.py        those locations, and the spec file each came from
    errors.py           a Problem (location, dotted path, message) and SpecError, which carries all
    pydantic_errors.py  pydantic's validation errors in a spec author's words, placed on paths
    files.py            where spec files are read from: the working tree or a git revision
    compose.py          `extends`, `profiles` and `--set`, merged into one document (merge.py)
    overrides.py        `--set PATH=VALUE`
    spec.py             the Spec model; spec_base.py the base of every spec model and its names
    sweep.py            the `sweep` section: grid, zip, when, seeds, derived values
    ranges.py           generated sweep axes (logspace, linspace, pow2)
    expressions.py      the arithmetic of derived values
    check_args.py       each claim check's typed arguments (implemented in report/checks/)
    check_values.py     the values those arguments are made of: metrics, run filters, intervals
    claim_rules.py      rules on claims as a whole; sweep_rules.py rules on a sweep as a whole
    config_paths.py     dotted paths into a RunConfig; model_paths.py the types along a path
    resources.py        the `resources` section: what a run needs on a cluster
    json_schema.py      the JSON Schema editors validate specs with
"""
