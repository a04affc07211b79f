"""The coordinator console's map and charts: what the builders count, and how pages carry it."""

import json
import math
import re
from datetime import date
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy import event, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    City,
    ExpertStatus,
    IpcField,
    Jurisdiction,
    RecognitionAgreement,
    RequestStatus,
)
from registry.services.console_charts import (
    experts_with_load,
    load_chart,
    project,
    region_map,
    requests_map,
    supply_demand,
)

VENDOR = Path(__file__).resolve().parents[1] / "registry" / "static" / "vendor" / "echarts"
AS_OF = date(2025, 1, 10)


def assign(request, expert, status=AssignmentStatus.PROPOSED) -> Assignment:
    assignment = Assignment(request=request, expert=expert, status=status)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def loaded_assignments() -> list[Assignment]:
    """Every assignment with what region_map reads (as its docstring asks)."""
    return list(db.session.scalars(
        select(Assignment).options(joinedload(Assignment.expert), joinedload(Assignment.request))
        .order_by(Assignment.id)))


def flows_of(data: dict) -> dict:
    return {(f["from"], f["to"]): (f["count"], f["cross_province"]) for f in data["flows"]}


def cities_of(data: dict) -> dict:
    return {city["code"]: city for city in data["cities"]}


def add_macao_and_guangzhou(make) -> None:
    """The GBA of the seeds: Guangzhou beside Shenzhen, and Macao as a third member."""
    make.geography()
    db.session.add(Jurisdiction(code="MO", name_zh="澳门", name_en="MO"))
    db.session.add_all([
        City(code="guangzhou", jurisdiction_code="GD", name_zh="广州市", name_en="Guangzhou",
             lat=23.13, lon=113.26),
        City(code="macao", jurisdiction_code="MO", name_zh="澳门", name_en="Macao",
             lat=22.20, lon=113.54)])
    db.session.flush()
    gba = db.session.get(RecognitionAgreement, "GBA")
    gba.members.append(db.session.get(Jurisdiction, "MO"))
    db.session.flush()


# -- the map ------------------------------------------------------------------------------------

def test_flows_are_counted_per_city_pair_and_marked_cross_province(make, world):
    second = make.request(case=make.case(body=world.sh_court))
    hangzhou = make.request(case=make.case(body=make.body("hangzhou")))
    assign(world.sh_request, world.js_expert)
    assign(second, world.js_expert, AssignmentStatus.CONFIRMED)
    assign(second, world.sh_expert, AssignmentStatus.ACCEPTED)
    assign(hangzhou, make.expert(city="hangzhou"))
    assign(hangzhou, make.expert(city="nanjing"), AssignmentStatus.WITHDRAWN)  # no seat held

    data = region_map("YRD", loaded_assignments())

    assert flows_of(data) == {
        ("nanjing", "shanghai"): (2, True),
        ("shanghai", "shanghai"): (2, False),   # world.proposal and the accepted seat
        ("hangzhou", "hangzhou"): (1, False),
    }
    assert data["totals"] | {"open_requests": None} == {
        "open_requests": None, "assignments": 5, "same_province": 3, "cross_province": 2,
        "local": 3}
    assert cities_of(data)["shanghai"]["local_assignments"] == 2


def test_a_flow_across_provinces_of_one_jurisdiction_region_brings_its_far_end(make, world):
    assign(world.sh_request, world.js_expert)

    data = region_map("SH", loaded_assignments())

    cities = cities_of(data)
    assert set(cities) == {"shanghai", "nanjing"}
    assert cities["shanghai"]["in_region"] and not cities["nanjing"]["in_region"]
    assert flows_of(data)[("nanjing", "shanghai")] == (1, True)


def test_hong_kong_experts_serving_in_shenzhen_cross_a_border(make, world):
    hong_kong_expert = make.expert(city="hong_kong", roles=("arbitrator",))
    assign(world.gd_request, hong_kong_expert)
    assign(world.gd_request, world.gd_expert)

    data = region_map("GBA", loaded_assignments())

    assert flows_of(data) == {("hong_kong", "shenzhen"): (1, True),
                              ("shenzhen", "shenzhen"): (1, False)}
    # world.proposal (Shanghai to Shanghai) is another region's: not on this map.
    assert {c["code"] for c in data["cities"]} == {"shenzhen", "hong_kong"}


def test_open_requests_are_counted_in_the_city_of_the_handling_body(make, world):
    hangzhou_court = make.body("hangzhou")
    statuses = [RequestStatus.SUBMITTED, RequestStatus.PROPOSED, RequestStatus.DECLINED,
                RequestStatus.CONFIRMED, RequestStatus.ACCEPTED, RequestStatus.COMPLETED,
                RequestStatus.CANCELLED]
    for status in statuses:
        # Heard in Shanghai, handled in Hangzhou: the Hangzhou court's request.
        make.request(case=make.case(body=hangzhou_court), city_code="shanghai", status=status)

    data = region_map("YRD", [])

    open_requests = {c["code"]: c["open_requests"] for c in data["cities"]}
    assert open_requests["hangzhou"] == 3          # submitted, proposed, declined
    assert open_requests["shanghai"] == 1          # world.sh_request (proposed)
    assert open_requests["nanjing"] == open_requests["hefei"] == 0
    assert data["totals"]["open_requests"] == 4
    assert "shenzhen" not in open_requests          # another region's court


def test_a_runs_map_is_counted_in_the_database_as_from_its_loaded_assignments(make, world):
    hangzhou = make.request(case=make.case(body=make.body("hangzhou")))
    elsewhere = make.request(case=make.case(body=world.sh_court))  # not one of the run's
    assign(world.sh_request, world.js_expert, AssignmentStatus.CONFIRMED)
    assign(hangzhou, make.expert(city="hangzhou"))
    assign(hangzhou, make.expert(city="nanjing"), AssignmentStatus.DECLINED)  # no seat held
    assign(elsewhere, make.expert(city="hefei"))
    run_requests = {world.sh_request.id, hangzhou.id}

    counted = requests_map("YRD", run_requests)

    assert counted == region_map("YRD", [a for a in loaded_assignments()
                                         if a.request_id in run_requests])
    assert flows_of(counted) == {("nanjing", "shanghai"): (1, True),
                                 ("shanghai", "shanghai"): (1, False),
                                 ("hangzhou", "hangzhou"): (1, False)}
    assert requests_map("YRD", []) == region_map("YRD", [])


@pytest.mark.parametrize("region", ["YRD", "GBA", "SH"])
def test_projection_keeps_the_order_of_longitude_and_latitude(make, world, region):
    add_macao_and_guangzhou(make)
    data = region_map(region, [])
    cities = data["cities"]

    assert sorted(cities, key=lambda c: c["lon"]) == sorted(cities, key=lambda c: c["x"])
    assert sorted(cities, key=lambda c: c["lat"]) == sorted(cities, key=lambda c: c["y"])
    lats = [c["lat"] for c in cities]
    assert data["mid_latitude"] == pytest.approx((min(lats) + max(lats)) / 2, abs=0.01)
    assert min(c["x"] for c in cities) == 0 and min(c["y"] for c in cities) == 0


def test_projection_shortens_longitude_by_the_cosine_of_the_mid_latitude(make):
    make.geography()
    cities = {c.code: c for c in db.session.scalars(
        select(City).where(City.code.in_(["shanghai", "hefei"])))}

    mid, places = project(cities)

    assert mid == pytest.approx((31.23 + 31.82) / 2, abs=0.01)  # about 31 degrees in the YRD
    width = places["shanghai"][0] - places["hefei"][0]
    assert width == pytest.approx((121.47 - 117.23) * math.cos(math.radians(mid)), abs=1e-3)
    assert places["hefei"][1] - places["shanghai"][1] == pytest.approx(31.82 - 31.23)


# -- load against capacity ----------------------------------------------------------------------

def test_load_counts_held_and_proposed_assignments_against_capacity(make, world):
    busy = make.expert(name="忙碌", max_concurrent=2)
    for status in (AssignmentStatus.CONFIRMED, AssignmentStatus.ACCEPTED,
                   AssignmentStatus.PROPOSED, AssignmentStatus.DECLINED,
                   AssignmentStatus.WITHDRAWN, AssignmentStatus.COMPLETED):
        assign(make.request(case=make.case(body=world.sh_court)), busy, status)
    # Capacity counts work anywhere: a Shenzhen request loads a Shanghai expert too.
    assign(world.gd_request, busy)

    chart = load_chart(experts_with_load("YRD"))

    rows = {row["name"]: row for row in chart["experts"]}
    assert rows["忙碌"] == {"id": busy.id, "name": "忙碌", "city": "shanghai", "held": 2,
                          "proposed": 2, "load": 4, "capacity": 2, "over_capacity": True}
    assert rows["张伟"] | {"id": None} == {"id": None, "name": "张伟", "city": "shanghai",
                                          "held": 0, "proposed": 1, "load": 1, "capacity": 3,
                                          "over_capacity": False}
    assert [row["name"] for row in chart["experts"]] == ["忙碌", "张伟"]  # most loaded first
    assert chart["totals"] == {"experts": 2, "held": 2, "proposed": 3, "capacity": 5,
                               "over_capacity": 1}


def test_load_lists_idle_experts_of_the_region_only_when_asked(world):
    busy = {expert.name for expert, _held, _proposed in experts_with_load("YRD")}
    everyone = {expert.name for expert, _held, _proposed in
                experts_with_load("YRD", include_idle=True)}

    assert busy == {"张伟"}
    assert everyone == {"张伟", "李娜"}  # not 陈志明 of Shenzhen


# -- supply and demand --------------------------------------------------------------------------

@pytest.fixture
def fields_world(make, world):
    """Shanghai: a G06F+H04L request (1 seat) and a tribunal on G06F30 and G06F3 (3 seats);
    Nanjing: nothing asked. Experts in Shanghai and Nanjing with fields at several depths."""
    db.session.add(IpcField(code="G06F", level="subclass", title_en="Electric digital data "
                            "processing", title_zh="电数字数据处理"))
    world.sh_case.set_fields(["G06F", "H04L"])
    tribunal = make.case(body=world.sh_court, fields=("G06F30", "G06F3"))
    make.request(case=tribunal, seats=3, role="arbitrator")
    done = make.case(body=world.sh_court, fields=("H04L",))
    make.request(case=done, status=RequestStatus.CONFIRMED)  # not open: asks for nothing
    make.expert(name="class G06", fields={"G06": 2})
    make.expert(name="main group", fields={"G06F30": 3, "G06F3": 2})
    make.expert(name="telecoms", fields={"H04L": 2})
    make.expert(name="business methods", fields={"G06Q": 2})
    make.expert(name="suspended", fields={"G06F": 3}, status=ExpertStatus.SUSPENDED)
    make.expert(name="retired term", fields={"G06F": 3}, appointed_until=date(2024, 12, 31))
    make.expert(name="in Nanjing", fields={"G06F": 1}, city="nanjing")
    db.session.flush()
    return world


def test_demand_counts_seats_of_open_requests_once_per_subclass(fields_world):
    data = supply_demand("YRD", as_of=AS_OF)

    demand = {(c["city"], c["field"]): c["demand"] for c in data["cells"]}
    assert demand[("shanghai", "G06F")] == 1 + 3
    assert demand[("shanghai", "H04L")] == 1
    assert demand[("nanjing", "G06F")] == 0


def test_supply_counts_active_experts_whose_fields_cover_the_subclass(fields_world):
    data = supply_demand("YRD", as_of=AS_OF)

    supply = {(c["city"], c["field"]): c["supply"] for c in data["cells"]}
    # 张伟 (G06F, from the world), class G06, main group G06F30: not suspended or retired.
    assert supply[("shanghai", "G06F")] == 3
    assert supply[("shanghai", "H04L")] == 1
    assert supply[("shanghai", "G06Q")] == 1        # offered, nobody asks
    assert supply[("nanjing", "G06F")] == 2          # 李娜 and in Nanjing
    assert ("shenzhen", "G06F") not in supply        # another region


def test_supply_and_demand_lists_fields_by_demand_with_titles(fields_world):
    data = supply_demand("YRD", as_of=AS_OF)

    assert [f["code"] for f in data["fields"]][:2] == ["G06F", "H04L"]
    assert data["fields"][0] == {"code": "G06F", "title_zh": "电数字数据处理",
                                 "title_en": "Electric digital data processing",
                                 "demand": 4, "supply": 5}
    assert [c["code"] for c in data["cities"]] == ["nanjing", "shanghai"]


# -- set-based: a few queries, whatever the size --------------------------------------------------

@pytest.fixture
def statements(app):
    seen = []

    def executed(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", executed)
    yield seen
    event.remove(db.engine, "before_cursor_execute", executed)


def test_builders_run_a_few_queries_for_500_assignments(make, world, statements):
    experts = [make.expert(city=city) for city in ("shanghai", "nanjing", "hangzhou", "hefei")
               for _ in range(25)]
    courts = [world.sh_court, make.body("hangzhou"), make.body("hefei")]
    requests = [make.request(case=make.case(body=courts[n % 3])) for n in range(100)]
    db.session.add_all(Assignment(request=request, expert=experts[(r * 7 + k) % 100])
                       for r, request in enumerate(requests) for k in range(5))
    db.session.flush()
    rows = loaded_assignments()
    statements.clear()

    data = region_map("YRD", rows)
    map_queries = len(statements)
    counted = requests_map("YRD", [request.id for request in requests])
    counted_queries = len(statements) - map_queries
    statements.clear()
    load_chart(experts_with_load("YRD"))
    supply_demand("YRD")

    assert data["totals"]["assignments"] == 501
    assert counted["totals"]["assignments"] == 500  # the world's proposal is not on them
    assert map_queries <= 4        # the region's members, its cities, its open requests
    assert counted_queries <= 5    # and the flows, counted
    assert len(statements) <= 9    # each builder: the region (2), then 1 to 4 grouped queries


# -- the partials -------------------------------------------------------------------------------

def json_blocks(html: str) -> list[dict]:
    return [json.loads(block) for block in
            re.findall(r'<script type="application/json">(.*?)</script>', html, re.S)]


PAGE = """{% from "coordinator/_map.html" import region_map %}
{% from "coordinator/_charts.html" import load_chart, supply_demand, chart_scripts %}
{{ region_map(map, table_id="proposals") }}{{ load_chart(load) }}{{ supply_demand(supply) }}
{{ chart_scripts() }}"""


@pytest.mark.parametrize(("lang", "caption"), [("en", "Schematic, not a standard map"),
                                               ("zh_Hans", None)])
def test_partials_carry_the_data_as_json_blocks_in_the_page_language(
        app, fields_world, statements, lang, caption):
    assign(fields_world.sh_request, fields_world.js_expert)
    data = {"map": region_map("YRD", loaded_assignments()),
            "load": load_chart(experts_with_load("YRD")),
            "supply": supply_demand("YRD", as_of=AS_OF)}
    statements.clear()

    with app.test_request_context(f"/?lang={lang}"):
        html = render_template_string(PAGE, **data)

    assert statements == []  # templates never query
    blocks = json_blocks(html)
    assert [block["data"] for block in blocks] == [data["map"], data["load"], data["supply"]]
    assert {block["lang"] for block in blocks} == {"en" if lang == "en" else "zh"}
    assert blocks[0]["labels"]["cross_province"] and blocks[2]["labels"]["demand"]
    if caption:
        assert caption in html
    assert 'href="#proposals"' in html
    assert 'data-chart="map"' in html and 'data-chart="load"' in html
    assert '<select id="supply-chart-field" aria-controls="supply-chart">' in html


def test_partials_hold_no_inline_code_or_style(app, world):
    with app.test_request_context("/"):
        html = render_template_string(PAGE, map=region_map("YRD", []),
                                      load=load_chart(experts_with_load("YRD")),
                                      supply=supply_demand("YRD"))

    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert all('type="application/json"' in attributes or "src=" in attributes
               for attributes in scripts)
    assert '/static/vendor/echarts/echarts.min.js' in html
    assert '/static/js/console-charts.js' in html
    assert "style=" not in html and "<style" not in html and " on" + "click" not in html


# -- the vendored library -----------------------------------------------------------------------

def test_echarts_is_vendored_with_its_licence():
    library = (VENDOR / "echarts.min.js").read_text(encoding="utf-8")

    assert 'version="6.1.0"' in library
    assert "Licensed to the Apache Software Foundation" in library[:2000]
    assert "sourceMappingURL" not in library
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in (VENDOR / "NOTICE").read_text(encoding="utf-8")
    assert (VENDOR / "licenses" / "LICENSE-d3").is_file()  # named by LICENSE for its d3 parts
