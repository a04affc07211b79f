"""A small world for API and page tests: two regions, their courts, experts, users and one
proposal. Loaded for every test folder through `pytest_plugins` in tests/conftest.py."""

from dataclasses import dataclass
from datetime import date

import pytest

from registry.extensions import db
from registry.models import Assignment, ExpertRole, OrganizationKind, UserRole


@dataclass
class World:
    sh_court: object
    gd_court: object
    sh_expert: object
    js_expert: object
    gd_expert: object
    sh_case: object
    gd_case: object
    sh_request: object
    gd_request: object
    proposal: object
    users: dict


@pytest.fixture
def world(make) -> World:
    sh_court = make.body("shanghai", name="上海知识产权法院", case_number_code="沪73")
    gd_court = make.body("shenzhen", name="深圳国际仲裁院",
                         kind=OrganizationKind.ARBITRATION_INSTITUTION, case_number_code=None)
    sh_expert = make.expert(name="张伟", city="shanghai")
    js_expert = make.expert(name="李娜", city="nanjing")
    gd_expert = make.expert(name="陈志明", city="shenzhen", roles=("arbitrator",),
                            languages=("zh", "en", "yue"))
    sh_case = make.case(body=sh_court, number="（2024）沪73知民初101号")
    gd_case = make.case(body=gd_court, kind="arbitration", number="（2024）深国仲受88号")
    sh_request = make.request(case=sh_case, days=[(date(2025, 3, 3), date(2025, 3, 4))])
    gd_request = make.request(case=gd_case, role=ExpertRole.ARBITRATOR, seats=3)
    proposal = Assignment(request=sh_request, expert=sh_expert, reasons=["field G06F"])
    db.session.add(proposal)
    sh_request.status = "proposed"
    users = {
        "admin": make.user(UserRole.ADMIN),
        "clerk_sh": make.user(UserRole.CLERK, body_id=sh_court.id),
        "clerk_gd": make.user(UserRole.CLERK, body_id=gd_court.id),
        "coordinator_yrd": make.user(UserRole.COORDINATOR, region="YRD"),
        "coordinator_sh": make.user(UserRole.COORDINATOR, region="SH"),
        "coordinator_gba": make.user(UserRole.COORDINATOR, region="GBA"),
        "expert_sh": make.user(UserRole.EXPERT, expert_id=sh_expert.id),
        "expert_gd": make.user(UserRole.EXPERT, expert_id=gd_expert.id),
    }
    db.session.commit()
    return World(sh_court, gd_court, sh_expert, js_expert, gd_expert, sh_case, gd_case,
                 sh_request, gd_request, proposal, users)


@pytest.fixture
def as_(make, world):
    """as_("clerk_sh") -> headers carrying a bearer token of that world user."""
    cache = {}

    def headers(name: str) -> dict:
        if name not in cache:
            cache[name] = make.token_for(world.users[name])
        return cache[name]

    return headers
