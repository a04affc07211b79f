"""Small builders for dispatch-problem/1 documents."""

import copy

CITIES = [
    {"code": "shanghai", "lat": 31.23, "lon": 121.47, "name_en": "Shanghai"},
    {"code": "suzhou_js", "lat": 31.30, "lon": 120.62, "name_en": "Suzhou"},
    {"code": "hefei", "lat": 31.82, "lon": 117.23, "name_en": "Hefei"},
    {"code": "shenzhen", "lat": 22.54, "lon": 114.06, "name_en": "Shenzhen"},
    {"code": "hongkong", "lat": 22.32, "lon": 114.17, "name_en": "Hong Kong"},
]


def an_expert(id="E1", **overrides):
    expert = {"id": id, "roles": ["investigator"], "city": "shanghai", "jurisdiction": "SH",
              "fields": {"G06F": 3}, "max_concurrent": 3}
    expert.update(overrides)
    return expert


def a_request(id="R1", **overrides):
    request = {"id": id, "case": f"case-{id}", "role": "investigator", "city": "shanghai",
               "jurisdiction": "SH", "fields": ["G06F"], "priority": 3,
               "days": [{"start": "2025-04-01", "end": "2025-04-02"}]}
    request.update(overrides)
    return request


def a_problem(experts=(), requests=(), **overrides):
    doc = {"format": "dispatch-problem/1", "as_of": "2025-03-03",
           "cities": copy.deepcopy(CITIES),
           "recognition_groups": [["SH", "JS", "ZJ", "AH"], ["GD", "HK", "MO"]],
           "experts": [copy.deepcopy(e) for e in experts],
           "requests": [copy.deepcopy(r) for r in requests],
           "pinned": [], "previous": [], "settings": {"time_limit_s": 5}}
    doc.update(overrides)
    return doc




def pairs(plan):
    """The (request, expert) pairs of a plan dict or Plan."""
    doc = plan if isinstance(plan, dict) else plan.to_dict()
    return {(a["request"], a["expert"]) for a in doc["assignments"]}
