"""Data for the coordinator console's map and charts, as plain dicts for a page's JSON.

Builders only read. A page puts each dict into a `<script type="application/json">` block
(templates/coordinator/_map.html, _charts.html) and registry/static/js/console-charts.js draws
it with ECharts. Names come in both languages; the page says which one it reads.

Where a request is: its open count and its demand belong to the city of the body handling
it (the region is where its bodies are, as in permissions.bodies_in_region); a flow ends at
the city the request names (DispatchRequest.city_code), where the expert has to go.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, case, func, or_, select

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    CaseField,
    City,
    CreditRecord,
    DispatchRequest,
    Expert,
    ExpertField,
    ExpertStatus,
    IpcField,
    Organization,
)
from registry.models.cases import OPEN_REQUEST_STATUSES
from registry.models.experts import DISQUALIFYING_CREDIT
from registry.services.permissions import region_jurisdictions
from registry.services.problem_export import HELD_STATUSES  # confirmed, accepted
from scheduler.domain import fields_match

SUBCLASS_LENGTH = 4  # G06F: the IPC level the supply and demand chart counts by


# -- the map ----------------------------------------------------------------------------------

def region_map(region: str, assignments: list[Assignment]) -> dict:
    """The region's cities as projected dots with their open requests, and the flows of the
    given assignments from each expert's home city to the request's city.

    Only active assignments (proposed, confirmed, accepted) make flows. Each needs
    `Assignment.expert` and `Assignment.request` loaded, e.g.
    `.options(joinedload(Assignment.expert), joinedload(Assignment.request))`; cities are
    read here in one query. A flow's end outside the region is drawn too (in_region false);
    a flow with neither end in the region is left out. An expert serving in its own city
    makes a flow from the city to itself (counted as the city's local_assignments).
    """
    return _region_map(region, Counter(
        (a.expert.home_city_code, a.request.city_code)
        for a in assignments if a.status in ACTIVE_ASSIGNMENT_STATUSES))


def requests_map(region: str, request_ids: Iterable[int]) -> dict:
    """region_map of the active assignments on these requests (a run's), counted in the
    database: no assignment, expert or request is loaded."""
    ids = set(request_ids)
    if not ids:
        return _region_map(region, Counter())
    rows = db.session.execute(
        select(Expert.home_city_code, DispatchRequest.city_code, func.count(Assignment.id))
        .select_from(Assignment)
        .join(Expert, Expert.id == Assignment.expert_id)
        .join(DispatchRequest, DispatchRequest.id == Assignment.request_id)
        .where(Assignment.request_id.in_(ids),
               Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .group_by(Expert.home_city_code, DispatchRequest.city_code))
    return _region_map(region, Counter({(origin, end): count for origin, end, count in rows}))


def _region_map(region: str, pairs: Counter) -> dict:
    """The map of {(home city, request city): active assignments}; see region_map."""
    inside = region_jurisdictions(region)
    pairs, cities = _pairs_and_cities(pairs, inside)
    open_counts = _open_requests_by_city(inside)
    mid_latitude, places = project(cities)
    flows = [_flow(origin, end, count, cities) for (origin, end), count in sorted(pairs.items())
             if origin in cities and end in cities]
    return {
        "region": region,
        "mid_latitude": mid_latitude,
        "cities": [dict(_city(city), x=places[city.code][0], y=places[city.code][1],
                        in_region=city.jurisdiction_code in inside,
                        open_requests=open_counts[city.code],
                        local_assignments=pairs[city.code, city.code])
                   for city in cities.values()],
        "flows": flows,
        "totals": _map_totals(flows, open_counts),
    }


def _map_totals(flows: list[dict], open_counts: Counter) -> dict:
    def assignments(which) -> int:
        return sum(flow["count"] for flow in flows if which(flow))

    return {"open_requests": sum(open_counts.values()),
            "assignments": assignments(lambda flow: True),
            "same_province": assignments(lambda flow: not flow["cross_province"]),
            "cross_province": assignments(lambda flow: flow["cross_province"]),
            "local": assignments(lambda flow: flow["from"] == flow["to"])}


def _pairs_and_cities(pairs: Counter, inside: set[str]) -> tuple[Counter, dict[str, City]]:
    """The (home city, request city) pairs with an end in the region, and the cities to
    draw: the region's and the pairs' ends."""
    cities = _cities(inside, {code for pair in pairs for code in pair})
    # A flow with neither end in the region belongs on another region's map.
    pairs = Counter({(origin, end): count for (origin, end), count in pairs.items()
                     if _in(cities.get(origin), inside) or _in(cities.get(end), inside)})
    ends = {code for pair in pairs for code in pair}
    return pairs, {code: city for code, city in cities.items()
                   if city.jurisdiction_code in inside or code in ends}


def project(cities: dict[str, City]) -> tuple[float, dict[str, tuple[float, float]]]:
    """Equirectangular x/y in degrees: x is longitude scaled by cos(mid-latitude), y latitude,
    both from the south-west corner. Returns the mid-latitude and {code: (x, y)}."""
    if not cities:
        return 0.0, {}
    lats = [c.lat for c in cities.values()]
    west = min(c.lon for c in cities.values())
    mid = round((min(lats) + max(lats)) / 2, 2)
    scale = math.cos(math.radians(mid))
    return mid, {code: (round((c.lon - west) * scale, 4), round(c.lat - min(lats), 4))
                 for code, c in cities.items()}


def _cities(jurisdictions: set[str], also: set[str]) -> dict[str, City]:
    """The cities of the jurisdictions and the named others, by code, in code order."""
    query = (select(City).where(or_(City.jurisdiction_code.in_(jurisdictions),
                                    City.code.in_(also)))
             .order_by(City.jurisdiction_code, City.code))
    return {city.code: city for city in db.session.scalars(query)}


def _in(city: City | None, jurisdictions: set[str]) -> bool:
    return city is not None and city.jurisdiction_code in jurisdictions


def _city(city: City) -> dict:
    return {"code": city.code, "name_zh": city.name_zh, "name_en": city.name_en,
            "lat": city.lat, "lon": city.lon, "jurisdiction": city.jurisdiction_code}


def _flow(origin: str, end: str, count: int, cities: dict[str, City]) -> dict:
    return {"from": origin, "to": end, "count": count,
            "cross_province": cities[origin].jurisdiction_code != cities[end].jurisdiction_code}


def _open_requests_by_city(jurisdictions: set[str]) -> Counter:
    """{city code: open requests handled by a body in that city}, for the jurisdictions."""
    rows = db.session.execute(
        select(Organization.city_code, func.count(DispatchRequest.id))
        .join(Case, Case.handling_body_id == Organization.id)
        .join(DispatchRequest, DispatchRequest.case_id == Case.id)
        .join(City, City.code == Organization.city_code)
        .where(City.jurisdiction_code.in_(jurisdictions),
               DispatchRequest.status.in_(OPEN_REQUEST_STATUSES))
        .group_by(Organization.city_code))
    return Counter(dict(rows.all()))


# -- load against capacity ----------------------------------------------------------------------

class ExpertCapacity(NamedTuple):
    """What the load chart reads of an expert (not the model: the page counts hundreds)."""

    id: int
    name: str
    home_city_code: str
    max_concurrent: int


def experts_with_load(region: str,
                      include_idle: bool = False) -> list[tuple[ExpertCapacity, int, int]]:
    """The region's experts with their held (confirmed, accepted) and proposed assignments,
    counted over all their requests (capacity is one per expert, wherever it serves)."""
    held = func.sum(case((Assignment.status.in_(HELD_STATUSES), 1), else_=0))
    proposed = func.sum(case((Assignment.status == AssignmentStatus.PROPOSED, 1), else_=0))
    counts = (select(Assignment.expert_id, held.label("held"), proposed.label("proposed"))
              .where(Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
              .group_by(Assignment.expert_id).subquery())
    join = Expert.__table__.outerjoin if include_idle else Expert.__table__.join
    query = (select(Expert.id, Expert.name, Expert.home_city_code, Expert.max_concurrent,
                    func.coalesce(counts.c.held, 0), func.coalesce(counts.c.proposed, 0))
             .select_from(join(counts, counts.c.expert_id == Expert.id))
             .where(Expert.jurisdiction_code.in_(region_jurisdictions(region)))
             .order_by(Expert.name, Expert.id))
    return [(ExpertCapacity(*expert), int(h), int(p))
            for *expert, h, p in db.session.execute(query)]


def load_chart(experts_with_load: Iterable[tuple[ExpertCapacity, int, int]]) -> dict:
    """Each expert's load (held + proposed) against its capacity (Expert.max_concurrent),
    the most loaded first (by share of capacity, then by load)."""
    rows = [{"id": expert.id, "name": expert.name, "city": expert.home_city_code,
             "held": held, "proposed": proposed, "load": held + proposed,
             "capacity": expert.max_concurrent,
             "over_capacity": held + proposed > expert.max_concurrent}
            for expert, held, proposed in experts_with_load]
    rows.sort(key=lambda r: (-r["load"] / max(r["capacity"], 1), -r["load"], r["name"], r["id"]))
    return {"experts": rows,
            "totals": {"experts": len(rows), "held": sum(r["held"] for r in rows),
                       "proposed": sum(r["proposed"] for r in rows),
                       "capacity": sum(r["capacity"] for r in rows),
                       "over_capacity": sum(r["over_capacity"] for r in rows)}}


# -- supply and demand ------------------------------------------------------------------------

def supply_demand(region: str, as_of: date | None = None) -> dict:
    """Per city and IPC subclass: demand, the seats of open requests handled there whose case
    has the field; supply, the experts based there who could serve on it on as_of (active,
    appointed, no serious or suspending record) and whose fields match it by prefix (rule 3:
    a G06 or a G06F30 expert counts for G06F). A case with two fields asks in both."""
    jurisdictions = region_jurisdictions(region)
    demand = _demand(jurisdictions)
    keys = {key for _, key in demand}
    supply = _supply(jurisdictions, as_of or date.today(), keys)
    cells = sorted(set(demand) | set(supply))
    cities = _cities(jurisdictions, set())
    asked, offered = Counter(), Counter()
    for city, key in cells:
        asked[key] += demand[city, key]
        offered[key] += len(supply[city, key])
    titles = _titles(set(asked))
    fields = sorted(({"code": key, "title_zh": titles.get(key, ("", ""))[0],
                      "title_en": titles.get(key, ("", ""))[1],
                      "demand": asked[key], "supply": offered[key]} for key in asked),
                    key=lambda f: (-f["demand"], -f["supply"], f["code"]))
    with_data = {city for city, _ in cells}
    return {
        "region": region,
        "cities": [_city(city) for city in cities.values() if city.code in with_data],
        "fields": fields,
        "cells": [{"city": city, "field": key, "demand": demand[city, key],
                   "supply": len(supply[city, key])} for city, key in cells],
    }


def _subclass(code: str) -> str:
    return code[:SUBCLASS_LENGTH]


def _demand(jurisdictions: set[str]) -> Counter:
    """{(city, subclass): seats} of the open requests handled in the jurisdictions."""
    rows = db.session.execute(
        select(Organization.city_code, CaseField.ipc_code, DispatchRequest.id,
               DispatchRequest.seats)
        .join(Case, Case.handling_body_id == Organization.id)
        .join(CaseField, CaseField.case_id == Case.id)
        .join(DispatchRequest, DispatchRequest.case_id == Case.id)
        .join(City, City.code == Organization.city_code)
        .where(City.jurisdiction_code.in_(jurisdictions),
               DispatchRequest.status.in_(OPEN_REQUEST_STATUSES)))
    # A case with G06F30 and G06F3 asks once in G06F: count each request once per subclass.
    asked = {(city, _subclass(code), request_id): seats
             for city, code, request_id, seats in rows}
    demand: Counter = Counter()
    for (city, key, _request), seats in asked.items():
        demand[city, key] += seats
    return demand


def _supply(jurisdictions: set[str], as_of: date, demanded: set[str]) -> dict:
    """{(city, subclass): {expert ids}} of the experts based in the jurisdictions' cities.

    An expert counts for its own subclasses and for every demanded code its fields match by
    prefix (a section- or class-level field covers the demanded subclasses under it)."""
    in_effect = and_(CreditRecord.kind.in_(DISQUALIFYING_CREDIT), CreditRecord.start <= as_of,
                     or_(CreditRecord.end.is_(None), CreditRecord.end >= as_of))
    rows = db.session.execute(
        select(Expert.home_city_code, Expert.id, ExpertField.ipc_code)
        .join(ExpertField, ExpertField.expert_id == Expert.id)
        .join(City, City.code == Expert.home_city_code)
        .where(City.jurisdiction_code.in_(jurisdictions), Expert.status == ExpertStatus.ACTIVE,
               or_(Expert.appointed_from.is_(None), Expert.appointed_from <= as_of),
               or_(Expert.appointed_until.is_(None), Expert.appointed_until >= as_of),
               ~Expert.credit_records.any(in_effect)))
    supply = defaultdict(set)
    for city, expert_id, code in rows:
        own = _subclass(code)
        matched = {key for key in demanded if fields_match(key, own)}
        if len(own) == SUBCLASS_LENGTH:
            matched.add(own)
        for key in matched:
            supply[city, key].add(expert_id)
    return supply


def _titles(codes: set[str]) -> dict[str, tuple[str, str]]:
    """The seeded titles of these IPC codes in both languages (a code without one shows bare)."""
    rows = db.session.execute(select(IpcField.code, IpcField.title_zh, IpcField.title_en)
                              .where(IpcField.code.in_(codes)))
    return {code: (zh, en) for code, zh, en in rows}
