"""What the clerk's case page shows of issue 9 item 5: the cause of action, and an appeal or
retrial without its earlier stage (rule one_procedure) with the cases that could be it."""

from flask_login import current_user

from registry.models import Case
from registry.services import case_stages, causes
from registry.services import permissions as may
from registry.web.labels import is_english


def case_context(case: Case) -> dict:
    """What the case page shows of its stage and cause (loaded here: templates never query)."""
    may_link = may.can_file_for(current_user, case.handling_body)
    english = is_english()
    warnings = [dict(w, title=w["title_en"] if english else w["title_zh"])
                for w in case_stages.warnings_for(case)]
    return {"stage_warnings": warnings,
            "earlier_suggestions": case_stages.suggest_earlier_stages(case, current_user)
            if may_link else [],
            "may_link_earlier": may_link,
            "cause_name": causes.cause_label(case.cause, english),
            "earlier_visible": case.earlier_stage is not None
            and may.can_see_case(current_user, case.earlier_stage)}
