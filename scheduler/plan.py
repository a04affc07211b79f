"""The dispatch-plan/1 result as dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Assignment:
    request: str
    expert: str
    fit: int
    distance_km: float
    pinned: bool = False
    reasons: tuple[str, ...] = ()  # English sentences, worded from `facts`
    facts: dict = field(default_factory=dict)  # explain.pair_facts: the reasons as data

    def to_dict(self) -> dict:
        return {
            "request": self.request, "expert": self.expert, "fit": self.fit,
            "distance_km": round(self.distance_km, 1), "pinned": self.pinned,
            "reasons": list(self.reasons), "facts": dict(self.facts),
        }


@dataclass(frozen=True)
class Unfilled:
    request: str
    missing: int
    diagnosis: dict = field(default_factory=dict)  # rule key -> experts it ruled out
    summary: str = ""  # one English sentence: what was the last straw, worded from `blocked`
    blocked: dict = field(default_factory=dict)  # explain.blocked_counts: eligible, and blocked

    def to_dict(self) -> dict:
        return {"request": self.request, "missing": self.missing, "diagnosis": self.diagnosis,
                "summary": self.summary, "blocked": dict(self.blocked)}


@dataclass(frozen=True)
class Plan:
    status: str
    assignments: tuple[Assignment, ...] = ()
    unfilled: tuple[Unfilled, ...] = ()
    metrics: dict = field(default_factory=dict)
    solver: dict = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    # Experts, requests and pinned/previous pairs left out of the problem, one sentence each
    # (Problem.warnings): the plan covers the rest.
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        doc = {
            "format": "dispatch-plan/1",
            "status": self.status,
            "assignments": [a.to_dict() for a in self.assignments],
            "unfilled": [u.to_dict() for u in self.unfilled],
            "metrics": self.metrics,
            "solver": self.solver,
            "warnings": list(self.warnings),
        }
        if self.errors:
            doc["errors"] = list(self.errors)
        return doc


def invalid_plan(errors: list[str], warnings: list[str] | tuple[str, ...] = (),
                 **solver) -> Plan:
    """Turn a rejected problem (ProblemError.errors, and .warnings: the items that would
    have been left out) into a plan with status 'invalid'."""
    return Plan(status="invalid", errors=tuple(errors), solver=dict(solver),
                warnings=tuple(warnings))
