"""The spec compiler: YAML spec -> validated Spec -> Plan of runs -> emitted job files."""

from compiler.compile import CompiledSpec, check_spec, compile_spec
from compiler.emit import write_plan
from compiler.errors import Problem, SpecError
from compiler.plan import Plan, PlannedRun, build_plan
from compiler.spec import Spec

__all__ = [
    "CompiledSpec", "Plan", "PlannedRun", "Problem", "Spec", "SpecError",
    "build_plan", "check_spec", "compile_spec", "write_plan",
]
