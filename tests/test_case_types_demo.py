"""The demo data of issue 9 items 5 and 8 (services/case_types_demo.py) on top of demo.build."""

from datetime import date

import pytest

from registry.extensions import db
from registry.models import Case, CaseStage, User, UserRole
from registry.services import case_stages, demo, seeding
from registry.services.case_types_demo import seed_case_types_demo

TODAY = date(2026, 11, 28)


@pytest.fixture
def demo_registry(app):
    seeding.load_reference_data()
    demo.build(experts=40, seed=7, today=TODAY)
    counts = seed_case_types_demo(TODAY)
    db.session.commit()
    return counts


def test_the_demo_cases_get_causes_and_the_showcase_cases(demo_registry):
    assert demo_registry["causes given"] > 0
    assert demo_registry["cases added"] == 4
    hong_kong = db.session.query(Case).filter_by(number=f"HCA 2417/{TODAY.year}").one()
    assert hong_kong.handling_body.registry_id == "hk_cfi"
    trademark = db.session.query(Case).filter(Case.number.contains("沪0115知民初1188")).one()
    assert trademark.investigators_allowed is False


def test_the_demo_appeal_shows_its_first_instance_to_the_ip_courts_clerk(demo_registry):
    appeal = db.session.query(Case).filter(Case.number.contains("沪73知民终77")).one()
    assert appeal.stage is CaseStage.SECOND_INSTANCE and appeal.missing_earlier_stage
    clerk = db.session.query(User).filter_by(role=UserRole.CLERK,
                                              body_id=appeal.handling_body_id).first()
    suggested = case_stages.suggest_earlier_stages(appeal, clerk)
    assert [c.number for c in suggested] == [f"（{TODAY.year - 1}）沪0115知民初906号"]


def test_running_it_again_adds_nothing(demo_registry):
    assert seed_case_types_demo(TODAY)["cases added"] == 0
