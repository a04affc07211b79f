"""Words for the stored codes (statuses, roles, kinds of service), in the catalog."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from registry.models.base import LOCAL_TIME
from scheduler import rules  # the rule table: pure data, no solver (docs/rules.md)

LABELS = {
    # request and assignment statuses
    "submitted": _l("submitted"), "proposed": _l("proposed"), "confirmed": _l("confirmed"),
    "accepted": _l("accepted"), "declined": _l("declined"), "completed": _l("completed"),
    "cancelled": _l("cancelled"), "withdrawn": _l("withdrawn"),
    # expert roles
    "investigator": _l("technical investigator"), "arbitrator": _l("arbitrator"),
    "consultant": _l("technical consultant"),
    # services
    "consultation": _l("consultation"), "written_opinion": _l("written technical opinion"),
    "hearing": _l("hearing"), "on_site_inspection": _l("on-site inspection"),
    "evidence_preservation": _l("evidence preservation"), "arbitration": _l("arbitration"),
    # case kinds and stages
    "civil": _l("civil"), "administrative": _l("administrative"), "criminal": _l("criminal"),
    "administrative_adjudication": _l("administrative adjudication"),
    "first_instance": _l("first instance"), "second_instance": _l("second instance"),
    "retrial": _l("retrial"),
    # party roles
    "plaintiff": _l("plaintiff"), "defendant": _l("defendant"), "third_party": _l("third party"),
    "appellant": _l("appellant"), "appellee": _l("appellee"), "claimant": _l("claimant"),
    "respondent": _l("respondent"), "petitioner": _l("petitioner"),
    # account roles (expert is above, among the kinds of row)
    "clerk": _l("clerk"), "coordinator": _l("coordinator"), "admin": _l("admin"),
    # kinds of organization
    "company": _l("company"), "university": _l("university"),
    "research_institute": _l("research institute"), "law_firm": _l("law firm"),
    "court": _l("court"), "ip_administration": _l("IP administration"),
    "arbitration_institution": _l("arbitration institution"),
    # solver run statuses
    "queued": _l("queued"), "running": _l("running"), "done": _l("done"), "failed": _l("failed"),
    # (a cancelled run reads as a cancelled request: "cancelled" above)
    # expert import statuses
    "pending": _l("pending"), "imported": _l("imported"), "discarded": _l("discarded"),
    # expert statuses
    "active": _l("active"), "suspended": _l("suspended"), "retired": _l("retired"),
    # an expert's usual roles at an affiliation (free text; these are the usual English ones)
    "employee": _l("employee"), "professor": _l("professor"), "partner": _l("partner"),
    "director": _l("director"), "shareholder": _l("shareholder"), "licensee": _l("licensee"),
    "licensor": _l("licensor"), "inventor": _l("inventor"),
    # credit records (shared across regions; the last two bar the expert everywhere)
    "note": _l("note on the record"), "warning": _l("warning"),
    "serious": _l("serious record"), "suspension": _l("suspension"),
    # exclusion reasons
    "challenge": _l("challenge upheld (申请回避)"), "recusal": _l("recusal (自行回避)"),
    "earlier_stage": _l("served at an earlier stage"),
    "prior_role": _l("earlier role in this case (witness, appraiser, agent, translator)"),
    # kinds of row named in messages ("case 12 not found")
    "case": _l("case"), "request": _l("request"), "assignment": _l("assignment"),
    "expert": _l("expert"), "unavailability": _l("unavailable days"),
    "declaredconflict": _l("declared conflict"), "affiliation": _l("affiliation"),
    "organization": _l("organization"), "user": _l("account"),
    "panelmembership": _l("place on a roster"), "panel membership": _l("place on a roster"),
    # audit actions shown in a request's history
    "create": _l("filed"), "confirm": _l("confirmed"), "accept": _l("accepted"),
    "decline": _l("declined"), "cancel": _l("cancelled"), "complete": _l("completed"),
    "exclude": _l("expert excluded"), "propose": _l("proposed"), "withdraw": _l("withdrawn"),
    # ... and its seats' events there (case_queries.request_history)
    "seat.propose": _l("an expert proposed"), "seat.confirm": _l("an expert confirmed"),
    "seat.hand_pick": _l("an expert picked and confirmed by the coordinator"),
    "seat.accept": _l("the expert accepted"), "seat.decline": _l("the expert declined"),
    "seat.withdraw": _l("a proposal withdrawn"), "seat.cancel": _l("a seat ended"),
    "seat.complete": _l("a seat's work completed"), "seat.flag": _l("a seat flagged"),
    "seat.clear_flag": _l("a seat's flag cleared"),
    "seat.assignment.override": _l("a proposal changed by the coordinator"),
    # The rules are not here: their titles are in the rule table (scheduler/rules.py), in
    # Chinese and English, named by key (rule_label below).
}


def rule_label(key: str) -> str:
    """A rule's title from the rule table in the reader's language; the key when unknown."""
    rule = rules.RULES.get(getattr(key, "value", key))
    if rule is None:
        return str(key)
    return rule.title_en if is_english() else rule.title_zh


def label_of(code) -> str:
    """The word for a code or enum member (a rule key gets its title from the rule table);
    the code itself when there is none."""
    value = getattr(code, "value", code)
    if value in LABELS:
        return str(LABELS[value])
    if isinstance(value, str) and value in rules.RULES:
        return rule_label(value)
    return str(value)


def is_english() -> bool:
    """Whether the page is read in English (else Chinese, the default)."""
    return str(get_locale()) == "en"


def name_of(thing) -> str:
    """An organization's or a city's name in the reader's language (Chinese when unsure)."""
    if thing is None:
        return ""
    english = getattr(thing, "name_en", None)
    if english and is_english():
        return english
    return getattr(thing, "name", None) or getattr(thing, "name_zh", "")


def choices(enum_type) -> list[tuple[str, str]]:
    return [(member.value, label_of(member)) for member in enum_type]


def local_time(moment) -> str:
    """A stored UTC moment as the users read it: 2026-12-01 14:03 (China Standard Time)."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


def language_name(code: str) -> str:
    """zh -> 中文（普通话） / Chinese (Mandarin); a code without a name stays a code."""
    from registry.services.reference import LANGUAGES

    names = LANGUAGES.get(code)
    return (names[1] if is_english() else names[0]) if names else code
