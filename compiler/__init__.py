"""The spec compiler: YAML spec -> validated Spec -> Plan of runs (no torch).

    language/   what a spec may say: YAML with locations, composition (`extends`, profiles,
                `--set`), the spec's models, sweeps, claim-check arguments, located errors
    planning/   a validated spec -> its sorted Plan of runs: sweep expansion, derived values,
                stages, run configs and ids, costs, and plan diffs
    compile.py  the entry point: a spec file -> CompiledSpec (Spec and Plan) or every problem

Writing a plan to disk for launchers (plan.json, jobs/, launch.sh, sbatch) is `launch`'s.
"""

from compiler.compile import CompiledSpec, check_spec, compile_spec
from compiler.language.errors import Problem, SpecError
from compiler.language.spec import Spec
from compiler.planning.plan import Plan, PlannedRun, build_plan

__all__ = [
    "CompiledSpec", "Plan", "PlannedRun", "Problem", "Spec", "SpecError",
    "build_plan", "check_spec", "compile_spec",
]
