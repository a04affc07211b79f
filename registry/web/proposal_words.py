"""The coordinator console's words: the solver's phases and rules, a proposal's facts and
diagnoses, and its headline figures, in the reader's language (the catalog's)."""

from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l

from registry.i18n import N_
from registry.web.labels import label_of, name_of

# -- the solver's phases, its rules, and its facts in words ---------------------------------

# The solver reports as each phase ends (scheduler/clock.py), so a phase reads as done.
PHASES = {
    "queued": _l("waiting for a worker"), "starting": _l("starting the solver"),
    "eligibility": _l("eligible experts found"),
    "hand dispatch": _l("hand dispatch done; computing the bound"),
    "bound": _l("bound computed; building a first plan"),
    "repair": _l("first plan built; improving it"),
    "improve": _l("first plan improved by exchanges of experts; searching further"),
    "mip priority": _l("most urgent seats filled; improving the whole plan"),
    "cp-sat": _l("whole plan improved (CP-SAT)"),
    "lns": _l("improving the plan (large-neighbourhood search)"),
    "keep previous": _l("current proposal kept where the rules still allow; filling the rest"),
    "done": _l("plan found; storing it"),
}

# How a run answers (problem_export.RUN_MODES), as the Run form offers it.
RUN_MODES = {
    "solve": _l("Solve the whole window"),
    "replan": _l("Re-plan: keep the current proposal, change only what changed since"),
}


def phase_name(phase: str | None) -> str:
    return str(PHASES.get(phase, phase or PHASES["queued"]))


def rule_name(key: str) -> str:
    return label_of(key)


def city_name(code: str | None, cities: dict) -> str:
    return name_of(cities.get(code)) or (code or "")


class Phrases:
    """The reader's catalog held for one page. flask_babel finds the catalog again on every
    call (the request, the locale, its cache: about 60 µs), which a page that words each of
    its rows pays hundreds of times; a phrase from here is a dictionary read and a format."""

    def __init__(self):
        self._catalog = get_translations()
        self._labels: dict[str, str] = {}

    def gettext(self, message: str, **variables) -> str:
        """As flask_babel's: without variables, the translation as it stands (a template
        for Jinja's |format, once per page; see proposal_words)."""
        text = self._catalog.ugettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return self._catalog.ungettext(singular, plural, num) % variables

    def label(self, code) -> str:
        """label_of, translated once per code for the page."""
        value = getattr(code, "value", code)
        if value not in self._labels:
            self._labels[value] = label_of(value)
        return self._labels[value]


def seat_reasons(facts: dict | None, distance_km: float | None, pinned: bool,
                 cities: dict, say: Phrases | None = None) -> list[str]:
    """Why the solver chose an expert for a seat, in words, from the plan's facts about the
    pair (field, proficiency, cities, load after, kept, panel seats)."""
    say = say or Phrases()
    reasons = [say.gettext("seat already confirmed")] if pinned else []
    if not facts:
        return reasons
    if facts.get("field"):
        reasons.append(say.gettext(
            "field %(field)s matches the requested %(wanted)s (proficiency %(level)s/3)",
            field=facts["field"], wanted=facts.get("request_field") or facts["field"],
            level=facts.get("proficiency")))
    reasons.append(travel_words(facts, distance_km, cities, say))
    if facts.get("load_after") is not None:
        reasons.append(say.gettext("load after this assignment %(load)s/%(capacity)s",
                                   load=facts["load_after"], capacity=facts.get("capacity")))
    if facts.get("kept"):
        reasons.append(say.gettext("kept from the previous proposal"))
    if (facts.get("panel_seats") or 1) > 1:
        reasons.append(say.gettext(
            "one of %(seats)s panel seats; no shared current organisation",
            seats=facts["panel_seats"]))
    return reasons


def travel_words(facts: dict, distance_km: float | None, cities: dict,
                 say: Phrases | None = None) -> str:
    say = say or Phrases()
    if facts.get("remote"):
        return say.gettext("remote work: no travel")
    origin, end = facts.get("from_city"), facts.get("to_city")
    if origin == end:
        return say.gettext("based in %(city)s: no travel", city=city_name(end, cities))
    return say.gettext("%(km)s km (%(origin)s → %(end)s)", km=round(distance_km or 0),
                       origin=city_name(origin, cities), end=city_name(end, cities))


def diagnosis_lines(diagnosis: dict | None, say: Phrases | None = None) -> list[str]:
    """How many experts each hard rule ruled out for an unfilled request, largest first."""
    say = say or Phrases()
    counts = sorted(((count, key) for key, count in (diagnosis or {}).items() if count),
                    key=lambda item: (-item[0], item[1]))
    return [say.ngettext("%(rule)s: %(num)d expert ruled out",
                         "%(rule)s: %(num)d experts ruled out", count, rule=say.label(key))
            for count, key in counts]


def empty_seats(missing: int, say: Phrases | None = None) -> str:
    say = say or Phrases()
    return say.ngettext("%(num)d seat stays empty.", "%(num)d seats stay empty.", missing)


# What finally left a seat empty, by the count the plan blocked it with (scheduler.explain).
STRAWS = {
    "workload": N_("%(num)d of %(eligible)d eligible experts are fully booked elsewhere "
                   "(workload)."),
    "double_booking": N_("%(num)d of %(eligible)d eligible experts are busy on those days "
                         "(double booking)."),
    "panel_independence": N_("%(num)d of %(eligible)d eligible experts share an "
                             "organisation with the panel (panel independence)."),
    "one_procedure": N_("%(num)d of %(eligible)d eligible experts serve another stage of "
                        "this dispute (one procedure per dispute)."),
}


def last_straw(blocked: dict | None, say: Phrases | None = None) -> str:
    """What finally left a seat empty, from the counts the plan blocked (scheduler.explain)."""
    say = say or Phrases()
    blocked = blocked or {}
    eligible = blocked.get("eligible", 0)
    if not eligible:
        return say.gettext("No expert passes the fixed rules: widen the search (a longer "
                           "window, remote attendance, another region).")
    parts = [say.gettext(text, num=blocked[key], eligible=eligible)
             for key, text in STRAWS.items() if blocked.get(key)]
    return " ".join(parts) or say.gettext("The eligible experts went to requests of higher "
                                          "priority.")


def proposal_words(say: Phrases) -> dict[str, str]:
    """What each request and seat of a run page says, translated once for the page; a row
    fills in its figures with Jinja's |format (e.g. words.request|format(id=r.id))."""
    return {
        "request": say.gettext("Request %(id)s"),
        "priority": say.gettext("priority %(priority)s"),
        "remote": say.gettext("remote allowed"),
        "confirm": say.gettext("Confirm"),
        "confirm_seat": say.gettext("Confirm %(expert)s on request %(request)s"),
        "by_coordinator": say.gettext("chosen by a coordinator"),
        "held_before": say.gettext("held before this run"),
        "nobody": say.gettext("No expert stands on this request."),
        "ruled_out": say.gettext("How many experts each rule ruled out:"),
        "alternatives": say.gettext("Alternatives for request %(id)s"),
    }


def clash_words(clash: dict) -> str:
    """A candidate's clash with the current proposal: the rule it would break, and with what
    (another request for double booking, a panel member for panel independence)."""
    rule, other = clash.get("rule", ""), clash.get("with")
    if rule == "seats":
        return gettext("the seats are full: choose whom this expert replaces")
    if other is None:
        return rule_name(rule)
    if rule == "double_booking":
        return gettext("double booking with request %(other)s", other=other)
    if rule == "panel_independence":
        return gettext("panel independence with expert #%(other)s", other=other)
    return gettext("%(rule)s, with #%(other)s", rule=rule_name(rule), other=other)


# -- a proposal's headline figures ---------------------------------------------------------

def headline_rows(headline: dict) -> list[dict]:
    """A proposal's figures beside hand dispatch's, row by row, as the run page shows them:
    {"label", "solver", "hand"} (None where a figure is missing)."""
    solver, hand = headline.get("solver") or {}, headline.get("hand_dispatch") or {}
    table = [{"label": str(label), "solver": show(solver), "hand": show(hand) if hand else None}
             for label, show in HEADLINE]
    for priority in sorted(set(solver.get("by_priority") or {}) |
                           set(hand.get("by_priority") or {}), key=str, reverse=True):
        table.append({"label": gettext("Priority %(priority)s seats filled", priority=priority),
                      "solver": _priority(solver, priority),
                      "hand": _priority(hand, priority) if hand else None})
    return table


def _fraction(metrics: dict, part: str, whole: str):
    if metrics.get(part) is None:
        return None
    return f"{metrics[part]}/{metrics.get(whole, '?')}"


def _unfilled(metrics: dict):
    if metrics.get("seats_total") is None or metrics.get("seats_filled") is None:
        return None
    return metrics["seats_total"] - metrics["seats_filled"]


def _km(value):
    if value is None:
        return None
    return gettext("%(km)s km", km=format(value, ",.0f"))


def _percent(value):
    return None if value is None else f"{value * 100:.0f} %"


def _priority(metrics: dict, priority):
    value = (metrics.get("by_priority") or {}).get(priority)
    if isinstance(value, list | tuple) and len(value) == 2:  # [seats filled, seats asked for]
        return f"{value[0]}/{value[1]}"
    return value


HEADLINE = (
    (_l("Seats filled"), lambda m: _fraction(m, "seats_filled", "seats_total")),
    (_l("Unfilled seats"), _unfilled),
    (_l("Filled priority (urgent seats weigh more)"), lambda m: m.get("filled_priority")),
    (_l("Total travel"), lambda m: _km(m.get("travel_km"))),
    (_l("Highest load against capacity"), lambda m: _percent(m.get("max_utilization"))),
    (_l("Spread of load (most minus least loaded)"),
     lambda m: _percent(m.get("utilization_spread"))),
    (_l("Field fit (higher is better)"), lambda m: m.get("fit")),
    (_l("Kept from the previous proposal"),
     lambda m: _fraction(m, "previous_kept", "previous_total")),
)
