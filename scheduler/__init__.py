"""Dispatch engine: assign technical investigators and IP arbitrators to requests.

    from scheduler import load_problem, solve, verify, ProblemError
    plan = solve(load_problem(doc), time_limit_s=10).to_dict()
    plan = replan(load_problem(doc_with_previous_pairs), time_limit_s=1).to_dict()
"""

from scheduler.candidates import Candidate, candidates
from scheduler.clock import Cancelled
from scheduler.plan import Assignment, Plan, Unfilled, invalid_plan
from scheduler.problem import Problem, ProblemError
from scheduler.reading import load_problem
from scheduler.replan import replan
from scheduler.solve import solve
from scheduler.verify import Violation, verify

__all__ = [
    "Assignment", "Cancelled", "Candidate", "Plan", "Problem", "ProblemError", "Unfilled",
    "Violation", "candidates", "invalid_plan", "load_problem", "replan", "solve", "verify",
]
