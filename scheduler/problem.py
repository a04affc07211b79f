"""The dispatch problem as frozen dataclasses, and the limits its document must keep
(reading.py reads and validates a `dispatch-problem/1` document into them)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from scheduler import rules
from scheduler.domain import great_circle_km

ROLES = rules.EVERY_ROLE
ONE_PROCEDURE_ROLES = rules.rule("one_procedure").roles
DEFAULT_COOLING_OFF_DAYS = rules.COOLING_OFF_DAYS
DEFAULT_TIME_LIMIT_S = 10.0
MAX_TIME_LIMIT_S = 3600.0
MAX_SEATS = 50
MAX_CONCURRENT = 10_000  # also the bound on current_load
MAX_COOLING_OFF_DAYS = 36_500
MAX_TRAVEL_KM = 1_000_000.0
# Objective weights: the solver's own settings. Bounded so that the lexicographic
# objective (model.lexicographic_big) stays within CP-SAT's and the flow's int64 range.
DEFAULT_WEIGHTS = {"fit": 50, "travel_per_km": 2, "previous": 3000, "fairness": 1}
MAX_WEIGHTS = {"fit": 10_000, "travel_per_km": 1_000, "previous": 1_000_000,
               "fairness": 10_000}


def finite_number(value: Any) -> float | None:
    """The value as a float if it is a JSON number (not a bool) with a finite value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range, like 10**400
        return None
    return number if math.isfinite(number) else None


class ProblemError(ValueError):
    """A problem document with a structural fault; `errors` names each offending item.

    `warnings` lists the experts and requests that would have been left out for a fault of
    their own (see load_problem), so a rejection reports those too.
    """

    def __init__(self, errors: list[str], warnings: list[str] | tuple[str, ...] = ()):
        super().__init__("; ".join(errors))
        self.errors = list(errors)
        self.warnings = list(warnings)


@dataclass(frozen=True)
class Interval:
    """An inclusive range of days, stored as proleptic ordinals."""

    start: int
    end: int

    def overlaps(self, other: Interval) -> bool:
        return self.start <= other.end and other.start <= self.end

    def to_dict(self) -> dict:
        return {"start": iso(self.start), "end": iso(self.end)}


@dataclass(frozen=True)
class City:
    code: str
    lat: float
    lon: float
    name: str = ""


@dataclass(frozen=True)
class Affiliation:
    org: str
    until: int | None  # None = current


@dataclass(frozen=True)
class PanelMembership:
    """A place on an arbitration institution's roster, from `start` to `until` (None: open)."""

    institution: str
    start: int | None
    until: int | None

    def covers(self, first: int, last: int) -> bool:
        return (self.start is None or self.start <= first) and \
            (self.until is None or self.until >= last)


@dataclass(frozen=True)
class RecognitionGroup:
    """Jurisdictions that recognise each other's appointments for the roles named."""

    members: frozenset[str]
    roles: frozenset[str] = frozenset(ROLES)

    def __contains__(self, jurisdiction: str) -> bool:
        return jurisdiction in self.members


@dataclass(frozen=True)
class Expert:
    id: str
    roles: frozenset[str]
    city: str
    jurisdiction: str
    fields: tuple[tuple[str, int], ...]
    languages: frozenset[str] = frozenset({"zh"})
    appointed_from: int | None = None
    appointed_until: int | None = None
    max_concurrent: int = 3
    current_load: int = 0
    max_travel_km: float | None = None
    unavailable: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()
    organizations: tuple[Affiliation, ...] = ()
    conflicts: frozenset[str] = frozenset()
    panels: tuple[PanelMembership, ...] = ()

    @property
    def current_orgs(self) -> frozenset[str]:
        return frozenset(a.org for a in self.organizations if a.until is None)


@dataclass(frozen=True)
class Request:
    id: str
    case: str
    role: str
    city: str
    jurisdiction: str
    fields: tuple[str, ...]
    seats: int = 1
    language: str | None = None
    days: tuple[Interval, ...] = ()
    remote: bool = False
    priority: int = 3
    parties: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    institution: str | None = None  # the arbitration institution whose roster decides rule 4
    waivers: tuple[tuple[str, frozenset[str]], ...] = ()  # (expert, orgs waived), rule 6
    # Rule one_procedure (carried as rule 6): the dispute the request's case belongs to (the
    # first case of its chain of stages) and its procedure within it (None: its case).
    dispute: str | None = None
    procedure: str | None = None

    @property
    def procedure_key(self) -> tuple[str, str] | None:
        """(dispute, procedure) when rule one_procedure concerns the request, else None: an
        expert may serve requests of one procedure of a dispute, not of two."""
        if self.dispute is None or self.role not in ONE_PROCEDURE_ROLES:
            return None
        return self.dispute, self.procedure or self.case

    def waived_for(self, expert: str) -> frozenset[str]:
        """The parties whose conflict with `expert` the parties expressly waived (rule 6)."""
        return frozenset().union(*(orgs for who, orgs in self.waivers if who == expert))

    @property
    def by_panel(self) -> bool:
        """Rule 4 is met by the institution's roster alone (an arbitrator request naming one)."""
        return self.role == rules.ARBITRATOR and self.institution is not None

    def shares_a_day_with(self, other: Request) -> bool:
        """Rule 8: one expert cannot serve both (written work has no days: never)."""
        return any(a.overlaps(b) for a in self.days for b in other.days)


@dataclass(frozen=True)
class Pair:
    request: str
    expert: str


@dataclass(frozen=True)
class Settings:
    cooling_off_days: int = DEFAULT_COOLING_OFF_DAYS
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    weights: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Problem:
    as_of: int
    cities: tuple[City, ...]
    recognition_groups: tuple[RecognitionGroup, ...]
    experts: tuple[Expert, ...]
    requests: tuple[Request, ...]
    pinned: tuple[Pair, ...] = ()
    previous: tuple[Pair, ...] = ()
    settings: Settings = Settings()
    # Experts and requests left out for a fault of their own, and pinned/previous pairs
    # dropped with them: one sentence each, naming the item (load_problem).
    warnings: tuple[str, ...] = ()
    left_out_experts: frozenset[str] = frozenset()
    left_out_requests: frozenset[str] = frozenset()

    def city(self, code: str) -> City:
        return self._city_index()[code]

    def _city_index(self) -> dict[str, City]:
        cache = self.__dict__.get("_cities_by_code")
        if cache is None:
            cache = {c.code: c for c in self.cities}
            object.__setattr__(self, "_cities_by_code", cache)
        return cache

    def days_of(self, request: Request) -> tuple[int, int]:
        """Return (min D(r), max D(r)), with D(r) = {as_of} for written work."""
        if not request.days:
            return self.as_of, self.as_of
        return min(i.start for i in request.days), max(i.end for i in request.days)

    def recognised(self, a: str, b: str, role: str | None = None) -> bool:
        """Same jurisdiction, or a group covering `role` (any role when None) holds both."""
        return a == b or any(a in g and b in g and (role is None or role in g.roles)
                             for g in self.recognition_groups)


def iso(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


def haversine_km(a: City, b: City) -> float:
    """Great-circle distance between two city centres (domain.great_circle_km)."""
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)
