"""Read a `dispatch-problem/1` document into a Problem (problem.py's frozen dataclasses):
every structural fault reported at once (ProblemError), and experts or requests wrong on
their own left out with a warning that names them (issue 10 item 7)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from scheduler.problem import (
    DEFAULT_COOLING_OFF_DAYS,
    DEFAULT_TIME_LIMIT_S,
    DEFAULT_WEIGHTS,
    MAX_CONCURRENT,
    MAX_COOLING_OFF_DAYS,
    MAX_SEATS,
    MAX_TIME_LIMIT_S,
    MAX_TRAVEL_KM,
    MAX_WEIGHTS,
    ROLES,
    Affiliation,
    City,
    Expert,
    Interval,
    Pair,
    PanelMembership,
    Problem,
    ProblemError,
    RecognitionGroup,
    Request,
    Settings,
    finite_number,
    iso,
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


_NO_STRINGS: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=65536)
def _ordinal(value: str) -> int | None:
    """The day number of a YYYY-MM-DD date, None if it is not one (cached: a problem repeats
    the same few hundred dates thousands of times)."""
    if not _DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value).toordinal()
    except ValueError:
        return None


class _Reader:
    """Collect every error while reading, so one pass reports them all."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        # While an expert or request is read: its label and the faults of its own (values
        # well typed but wrong: a reversed range, out of range, no field); they leave the
        # item out instead of rejecting the problem.
        self._item: str | None = None
        self._flaws: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def flaw(self, where: str, message: str) -> None:
        """A fault of the item being read alone; outside an item, a structural error."""
        if self._item is None or not where.startswith(self._item):
            self.fail(where, message)
            return
        rest = where[len(self._item):].strip()
        self._flaws.append(f"{rest}: {message}" if rest else message)

    def begin_item(self, label: str) -> None:
        self._item, self._flaws = label, []

    def end_item(self) -> list[str]:
        flaws, self._item, self._flaws = self._flaws, None, []
        return flaws

    def text(self, obj: dict, key: str, where: str, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{key} must be a non-empty string")
            return None
        return value

    def date(self, value: Any, where: str, key: str, nullable: bool = False) -> int | None:
        if value is None and nullable:
            return None
        day = _ordinal(value) if isinstance(value, str) else None
        if day is None:
            self.fail(where, f"{key} must be a date YYYY-MM-DD, got {value!r:.40}")
        return day

    def integer(self, obj: dict, key: str, where: str, default: int, low: int, high=None) -> int:
        value = obj.get(key, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"{key} must be an integer, got {value!r:.40}")
            return default
        if value < low or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f"between {low} and {high}"
            shown = value if abs(value) < 10**12 else f"{value:.3e}"
            self.flaw(where, f"{key} must be {bounds}, got {shown}")
            return default
        return value

    def intervals(self, obj: dict, key: str, where: str) -> tuple[Interval, ...]:
        items = obj.get(key) or []
        if not isinstance(items, list):
            self.fail(where, f"{key} must be a list of {{start, end}}")
            return ()
        out = []
        for k, item in enumerate(items):
            here = f"{where} {key}[{k}]"
            if not isinstance(item, dict):
                self.fail(here, "must be an object {start, end}")
                continue
            start = self.date(item.get("start"), here, "start")
            end = self.date(item.get("end"), here, "end")
            if start is None or end is None:
                continue
            if end < start:
                self.flaw(here, f"end {iso(end)} is before start {iso(start)}")
                continue
            out.append(Interval(start, end))
        return tuple(out)

    def strings(self, obj: dict, key: str, where: str) -> frozenset[str]:
        items = obj.get(key)
        if items is None or (type(items) is list and not items):  # the common case
            return _NO_STRINGS
        if not isinstance(items, list) or not all(isinstance(s, str) and s.strip()
                                                  for s in items):
            self.fail(where, f"{key} must be a list of non-empty strings")
            return frozenset()
        return frozenset(items)


def _label(kind: str, index: int, obj: Any) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    return f"{kind}[{index}] (id {ident!r})" if ident is not None else f"{kind}[{index}]"


def _read_city(rd: _Reader, k: int, obj: Any) -> City | None:
    where = f"cities[{k}]"
    if not isinstance(obj, dict):
        rd.fail(where, "must be an object")
        return None
    code = rd.text(obj, "code", where)
    lat, lon = finite_number(obj.get("lat")), finite_number(obj.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        rd.fail(f"{where} (code {code!r})", "lat/lon must be numbers in range")
        return None
    if code is None:
        return None
    return City(code, float(lat), float(lon), str(obj.get("name_en") or obj.get("name") or ""))


def _read_expert(rd: _Reader, k: int, obj: Any) -> tuple[Expert | None, list[str]]:
    """The expert (None on a structural fault) and the faults of its own (see _Reader)."""
    where = _label("experts", k, obj)
    if not isinstance(obj, dict):
        rd.fail(where, "must be an object")
        return None, []
    n = len(rd.errors)
    rd.begin_item(where)
    ident = rd.text(obj, "id", where)
    roles = rd.strings(obj, "roles", where)
    if not roles and (obj.get("roles") is None or isinstance(obj.get("roles"), list)):
        rd.flaw(where, "roles must name at least one role")
    for role in sorted(roles - set(ROLES)):
        rd.flaw(where, f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    city = rd.text(obj, "city", where)
    jurisdiction = rd.text(obj, "jurisdiction", where)
    fields_obj = obj.get("fields")
    fields: list[tuple[str, int]] = []
    if fields_obj is not None and not isinstance(fields_obj, dict):
        rd.fail(where, "fields must be a non-empty object IPC code -> proficiency 1..3")
    elif not fields_obj:
        rd.flaw(where, "fields must be a non-empty object IPC code -> proficiency 1..3 "
                       "(no valid field)")
    else:
        for code, prof in fields_obj.items():
            # Proficiency is an integer level: 2.0 is refused like "2" (a wrong type);
            # an integer out of 1..3, or a blank code, leaves the expert out.
            if isinstance(prof, bool) or not isinstance(prof, int):
                rd.fail(where, f"field {code!r} must have an integer proficiency 1..3, "
                               f"got {prof!r:.40}")
            elif not code.strip() or prof not in (1, 2, 3):
                rd.flaw(where, f"field {code!r} must have an integer proficiency 1..3, "
                               f"got {prof!r:.40}")
            else:
                fields.append((code, prof))
    languages = (frozenset({"zh"}) if obj.get("languages") is None
                 else rd.strings(obj, "languages", where))
    appointed_from = rd.date(obj.get("appointed_from"), where, "appointed_from", nullable=True)
    appointed_until = rd.date(obj.get("appointed_until"), where, "appointed_until", nullable=True)
    if appointed_from and appointed_until and appointed_until < appointed_from:
        rd.flaw(where, f"appointed_until {iso(appointed_until)} is before appointed_from "
                       f"{iso(appointed_from)}")
    max_concurrent = rd.integer(obj, "max_concurrent", where, 3, 0, MAX_CONCURRENT)
    current_load = rd.integer(obj, "current_load", where, 0, 0, MAX_CONCURRENT)
    travel = obj.get("max_travel_km")
    if travel is not None:
        travel = finite_number(travel)
        if travel is None or not 0 <= travel <= MAX_TRAVEL_KM:
            # Not a finite number: a wrong type; a number out of range: the expert's own.
            report = rd.fail if travel is None else rd.flaw
            report(where, f"max_travel_km must be a number between 0 and "
                          f"{MAX_TRAVEL_KM:.0f} or null, got {obj.get('max_travel_km')!r:.40}")
            travel = None
    orgs = []
    org_items = obj.get("organizations")
    if org_items is None:
        org_items = []
    if not isinstance(org_items, list):
        rd.fail(where, "organizations must be a list of {org, until}")
        org_items = []
    for j, aff in enumerate(org_items):
        if not isinstance(aff, dict) or not isinstance(aff.get("org"), str) \
                or not aff["org"].strip():
            rd.fail(where, f"organizations[{j}] must be {{org, until}} with a non-empty org")
            continue
        until = rd.date(aff.get("until"), f"{where} organizations[{j}]", "until", nullable=True)
        orgs.append(Affiliation(aff["org"], until))
    unavailable = rd.intervals(obj, "unavailable", where)
    busy = rd.intervals(obj, "busy", where)
    conflicts = rd.strings(obj, "conflicts", where)
    panels = _read_panels(rd, obj, where)
    flaws = rd.end_item()
    if len(rd.errors) > n:
        return None, flaws
    return Expert(
        id=ident, roles=roles, city=city, jurisdiction=jurisdiction, fields=tuple(fields),
        languages=languages, appointed_from=appointed_from, appointed_until=appointed_until,
        max_concurrent=max_concurrent, current_load=current_load,
        max_travel_km=None if travel is None else float(travel), unavailable=unavailable,
        busy=busy, organizations=tuple(orgs), conflicts=conflicts, panels=panels,
    ), flaws


def _objects(rd: _Reader, obj: dict, key: str, where: str, shape: str):
    """(where, item) for each object of the optional list obj[key]; a fault for the list
    or an item that is not of the `shape` named ("{institution, from, until}")."""
    items = obj.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        rd.fail(where, f"{key} must be a list of {shape}")
        return
    for j, item in enumerate(items):
        here = f"{where} {key}[{j}]"
        if not isinstance(item, dict):
            rd.fail(here, f"must be an object {shape}")
            continue
        yield here, item


def _read_panels(rd: _Reader, obj: dict, where: str) -> tuple[PanelMembership, ...]:
    out = []
    for here, item in _objects(rd, obj, "panels", where, "{institution, from, until}"):
        institution = rd.text(item, "institution", here)
        start = rd.date(item.get("from"), here, "from", nullable=True)
        until = rd.date(item.get("until"), here, "until", nullable=True)
        if start is not None and until is not None and until < start:
            rd.flaw(here, f"until {iso(until)} is before from {iso(start)}")
            continue
        if institution is not None:
            out.append(PanelMembership(institution, start, until))
    return tuple(out)


def _read_waivers(rd: _Reader, obj: dict, where: str) -> tuple[tuple[str, frozenset], ...]:
    out = []
    for here, item in _objects(rd, obj, "waivers", where, "{expert, orgs}"):
        expert = rd.text(item, "expert", here)
        orgs = rd.strings(item, "orgs", here)
        if expert is not None:
            out.append((expert, orgs))
    return tuple(out)


def _read_request(rd: _Reader, k: int, obj: Any) -> tuple[Request | None, list[str]]:
    """The request (None on a structural fault) and the faults of its own (see _Reader)."""
    where = _label("requests", k, obj)
    if not isinstance(obj, dict):
        rd.fail(where, "must be an object")
        return None, []
    n = len(rd.errors)
    rd.begin_item(where)
    ident = rd.text(obj, "id", where)
    case = obj.get("case")
    if case is None or case == "":
        case = ident or ""
    elif isinstance(case, int) and not isinstance(case, bool):
        case = str(case)
    elif not isinstance(case, str):
        rd.fail(where, f"case must be a string (the case number), got {case!r:.40}")
    role = rd.text(obj, "role", where)
    if role is not None and role not in ROLES:
        rd.flaw(where, f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    city = rd.text(obj, "city", where)
    jurisdiction = rd.text(obj, "jurisdiction", where)
    fields = obj.get("fields")
    if fields is None or fields == []:
        rd.flaw(where, "fields must be a non-empty list of IPC codes (no field)")
        fields = []
    elif not isinstance(fields, list) or not all(isinstance(f, str) and f.strip()
                                                 for f in fields):
        rd.fail(where, "fields must be a non-empty list of IPC codes")
        fields = []
    language = obj.get("language")
    if language is not None and (not isinstance(language, str) or not language):
        rd.fail(where, "language must be a non-empty string or null")
    seats = rd.integer(obj, "seats", where, 1, 1, MAX_SEATS)
    priority = rd.integer(obj, "priority", where, 3, 1, 5)
    remote = obj.get("remote")
    remote = False if remote is None else remote
    if not isinstance(remote, bool):
        rd.fail(where, f"remote must be true or false, got {remote!r}")
    days = rd.intervals(obj, "days", where)
    parties = rd.strings(obj, "parties", where)
    excluded = rd.strings(obj, "excluded", where)
    institution = rd.text(obj, "institution", where, required=False)
    waivers = _read_waivers(rd, obj, where)
    dispute = _label_text(rd, obj, "dispute", where)
    procedure = _label_text(rd, obj, "procedure", where)
    flaws = rd.end_item()
    if len(rd.errors) > n:
        return None, flaws
    return Request(
        id=ident, case=case, role=role, city=city, jurisdiction=jurisdiction,
        fields=tuple(fields), seats=seats, language=language, days=days, remote=remote,
        priority=priority, parties=parties, excluded=excluded, institution=institution,
        waivers=waivers, dispute=dispute, procedure=procedure,
    ), flaws


def _label_text(rd: _Reader, obj: dict, key: str, where: str) -> str | None:
    """An optional id (a non-empty string, or an integer taken as its digits); a value of
    another type leaves the request out (a fault of its own, not of the problem)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        rd.flaw(where, f"{key} must be a non-empty string or null, got {value!r:.40}")
        return None
    return value


def _read_pairs(rd: _Reader, doc: dict, key: str, requests: set, experts: set,
                left_out: tuple[set, set] = (set(), set()),
                warnings: list[str] | None = None) -> list[Pair]:
    """The pairs of `key`; one naming a left-out request or expert is dropped with a
    warning (the problem stays valid), an unknown id is a structural error."""
    items = doc.get(key) or []
    if not isinstance(items, list):
        rd.fail(key, "must be a list of {request, expert}")
        return []
    pairs, seen = [], set()
    for k, item in enumerate(items):
        where = f"{key}[{k}]"
        if not isinstance(item, dict):
            rd.fail(where, "must be an object {request, expert}")
            continue
        r, e = item.get("request"), item.get("expert")
        if not (isinstance(r, str) and isinstance(e, str)):
            rd.fail(where, f"request and expert must be id strings, got ({r!r:.40}, {e!r:.40})")
            continue
        where = f"{where} ({r!r}, {e!r})"
        bad = False
        if r not in requests:
            rd.fail(where, f"unknown request {r!r}")
            bad = True
        if e not in experts:
            rd.fail(where, f"unknown expert {e!r}")
            bad = True
        if bad:
            continue
        gone = [f"request {r!r}"] if r in left_out[0] else []
        gone += [f"expert {e!r}"] if e in left_out[1] else []
        if gone:
            if warnings is not None:
                warnings.append(f"{where}: {' and '.join(gone)} left out; pair dropped")
            continue
        if (r, e) in seen:
            if key == "pinned":
                rd.fail(where, "pinned twice")
            continue
        seen.add((r, e))
        pairs.append(Pair(r, e))
    return pairs


def _read_settings(rd: _Reader, obj: Any) -> Settings:
    if obj is None:
        return Settings()
    if not isinstance(obj, dict):
        rd.fail("settings", "must be an object")
        return Settings()
    cooling = rd.integer(obj, "cooling_off_days", "settings", DEFAULT_COOLING_OFF_DAYS, 0,
                         MAX_COOLING_OFF_DAYS)
    raw = obj.get("time_limit_s")
    limit = DEFAULT_TIME_LIMIT_S if raw is None else finite_number(raw)
    if limit is None or not 0 < limit <= MAX_TIME_LIMIT_S:
        rd.fail("settings", f"time_limit_s must be a number of seconds in (0, "
                            f"{MAX_TIME_LIMIT_S:.0f}], got {raw!r:.40}")
        limit = DEFAULT_TIME_LIMIT_S
    raw_weights = obj.get("weights")
    weights = {}
    if raw_weights is not None and not isinstance(raw_weights, dict):
        rd.fail("settings", "weights must be an object")
    for key, value in (raw_weights or {}).items() if isinstance(raw_weights, dict) else ():
        if key not in DEFAULT_WEIGHTS:
            continue  # unknown keys are ignored, like everywhere else
        number = finite_number(value)
        if number is None or not 0 <= number <= MAX_WEIGHTS[key]:
            rd.fail("settings", f"weights.{key} must be a number between 0 and "
                                f"{MAX_WEIGHTS[key]}, got {value!r:.40}")
            continue
        weights[key] = number
    return Settings(cooling, float(limit), weights)


def _check_duplicates(rd: _Reader, kind: str, items: list) -> None:
    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        if item is None:
            continue
        key = item.code if kind == "cities" else item.id
        if key in seen:
            rd.fail(f"{kind}[{k}] (id {key!r})", f"duplicate id (first at {kind}[{seen[key]}])")
        else:
            seen[key] = k


def _check_references(rd: _Reader, experts: list, requests: list, cities: set) -> None:
    for k, e in enumerate(experts):
        if e is not None and e.city not in cities:
            rd.fail(f"experts[{k}] (id {e.id!r})", f"unknown city {e.city!r}")
    expert_ids = {e.id for e in experts if e is not None}
    for k, r in enumerate(requests):
        if r is not None and r.city not in cities:
            rd.fail(f"requests[{k}] (id {r.id!r})", f"unknown city {r.city!r}")
        for j, (expert, _) in enumerate(r.waivers if r is not None else ()):
            if expert not in expert_ids:
                rd.fail(f"requests[{k}] (id {r.id!r}) waivers[{j}]", f"unknown expert {expert!r}")


def _lists(rd: _Reader, doc: dict, key: str) -> list:
    value = doc.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        rd.fail(key, "must be a list")
        return []
    return value


def _read_group(rd: _Reader, k: int, obj: Any) -> RecognitionGroup | None:
    """A group: a list of jurisdiction codes (every role), or {members, roles}."""
    where = f"recognition_groups[{k}]"
    members, roles = obj, list(ROLES)
    if isinstance(obj, dict):
        members, roles = obj.get("members"), obj.get("roles")
        if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
            rd.fail(where, f"roles must be a non-empty list of {', '.join(ROLES)}, "
                           f"got {roles!r:.60}")
            return None
    if not isinstance(members, list) or not all(isinstance(j, str) and j for j in members):
        rd.fail(where, "must be a list of jurisdiction codes, or {members, roles}")
        return None
    return RecognitionGroup(frozenset(members), frozenset(roles))


def _items(rd: _Reader, doc: dict, key: str, read) -> tuple[list, dict[int, tuple]]:
    """Every entry of doc[key] read (None for a structural fault), and {index: (label,
    faults)} for the entries left out for faults of their own."""
    items, bad = [], {}
    for k, obj in enumerate(_lists(rd, doc, key)):
        item, flaws = read(rd, k, obj)
        items.append(item)
        if flaws:
            bad[k] = (_label(key, k, obj), flaws)
    return items, bad


def load_problem(doc: dict) -> Problem:
    """Validate a dispatch-problem/1 document into a Problem.

    Structural faults (not an object, wrong format or type, malformed dates, duplicate ids,
    unknown references, settings out of range, a pinned pair that breaks a rule) raise
    ProblemError listing every one. An expert or request wrong on its own (a reversed range,
    a value out of range, an unknown role, no valid field) is left out instead, with a
    sentence naming it in `problem.warnings`; pinned and previous pairs naming it are
    dropped, with a warning each.
    """
    rd = _Reader()
    if not isinstance(doc, dict):
        raise ProblemError(["problem: must be a JSON object"])
    fmt = doc.get("format", "dispatch-problem/1")
    if fmt != "dispatch-problem/1":
        rd.fail("format", f"expected 'dispatch-problem/1', got {fmt!r}")
    as_of = rd.date(doc.get("as_of"), "problem", "as_of")
    cities = [_read_city(rd, k, c) for k, c in enumerate(_lists(rd, doc, "cities"))]
    groups = [_read_group(rd, k, g)
              for k, g in enumerate(_lists(rd, doc, "recognition_groups"))]
    groups = [g for g in groups if g is not None]
    experts, bad_experts = _items(rd, doc, "experts", _read_expert)
    requests, bad_requests = _items(rd, doc, "requests", _read_request)
    settings = _read_settings(rd, doc.get("settings"))
    _check_duplicates(rd, "cities", cities)
    _check_duplicates(rd, "experts", experts)
    _check_duplicates(rd, "requests", requests)
    _check_references(rd, experts, requests, {c.code for c in cities if c})
    request_ids = {r.id for r in requests if r}
    expert_ids = {e.id for e in experts if e}
    warnings = [f"{label}: {'; '.join(flaws)}; left out"
                for label, flaws in [*bad_experts.values(), *bad_requests.values()]]
    left_out = ({requests[k].id for k in bad_requests if requests[k] is not None},
                {experts[k].id for k in bad_experts if experts[k] is not None})
    pinned = _read_pairs(rd, doc, "pinned", request_ids, expert_ids, left_out, warnings)
    previous = _read_pairs(rd, doc, "previous", request_ids, expert_ids, left_out, warnings)
    if rd.errors:
        raise ProblemError(rd.errors, warnings)
    problem = Problem(
        as_of=as_of, cities=tuple(cities), recognition_groups=tuple(groups),
        experts=tuple(e for k, e in enumerate(experts) if k not in bad_experts),
        requests=tuple(r for k, r in enumerate(requests) if k not in bad_requests),
        pinned=tuple(pinned), previous=tuple(previous), settings=settings,
        warnings=tuple(warnings), left_out_experts=frozenset(left_out[1]),
        left_out_requests=frozenset(left_out[0]),
    )
    _check_pinned(problem)
    return problem


def _check_pinned(problem: Problem) -> None:
    """Rule 13: a pinned pair that breaks a rule makes the problem invalid."""
    if not problem.pinned:
        return
    from scheduler.verify import verify_pairs

    violations = verify_pairs(problem, list(problem.pinned))
    if violations:
        raise ProblemError(
            [f"pinned pair ({v.request!r}, {v.expert!r}) breaks rule {v.rule}: {v.message}"
             for v in violations], problem.warnings
        )
