"""Where the registry meets the scheduler: export a dispatch-problem/1 document, import a
dispatch-plan/1 document (docs/dispatch.md). The work is done in problem_export and plan_import.
"""

from registry.services.plan_import import check_manual_assignment, import_plan
from registry.services.problem_export import export_problem

__all__ = ["check_manual_assignment", "export_problem", "import_plan"]
