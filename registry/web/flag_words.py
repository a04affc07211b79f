"""A flagged seat in words: the rule's title from the shared rule table, what it protects, and
the facts of the breach (docs/flags.md). Used by the pages and by the mails, in the reader's
language (a mail renders each language under force_locale)."""

from flask_babel import gettext as _

from registry.services.flags import explanation_of, rule_title
from registry.web.labels import is_english, label_of


def flag_title(rule: str) -> str:
    """The rule's title from scheduler/rules.py, in the reader's language."""
    return rule_title(rule, english=is_english())


def _role(role: str) -> str:
    return _("counsel") if role == "counsel" else label_of(role)


def _days(spans) -> str:
    return ", ".join(start if start == end else f"{start} – {end}" for start, end in spans)


def flag_lines(flag) -> list[str]:
    """The sentences that say what broke the rule; the rule's explanation when no fact does.

    The expert is named by its role on the request (该技术调查官, 该仲裁员)."""
    facts = flag.facts or {}
    who = label_of(flag.assignment.request.role)
    lines = [_("The %(who)s declared a conflict of interest with %(party)s (%(role)s) after "
               "taking the seat.", who=who, party=p["name"], role=_role(p["role"]))
             for p in facts.get("declared", [])]
    lines += [_("The %(who)s works for %(party)s (%(role)s), or did within the cooling-off "
                "period.", who=who, party=p["name"], role=_role(p["role"]))
              for p in facts.get("affiliated", [])]
    lines += [_("%(name)s, declared by the %(who)s as a near relative (%(kind)s), is %(party)s "
                "or acts for that party on this case.", who=who, name=r["name"],
                kind=label_of(r["kind"]), party=r["party"])
              for r in facts.get("relatives", [])]
    lines += [_("The %(who)s is excluded from this case: %(reason)s.", who=who,
                reason=label_of(reason)) for reason in facts.get("excluded", [])]
    if facts.get("days"):
        lines.append(_("The %(who)s is unavailable on %(days)s, days of this request.",
                       who=who, days=_days(facts["days"])))
    if facts.get("status") and facts["status"] != "active":
        lines.append(_("The %(who)s's status is now %(status)s.", who=who,
                       status=label_of(facts["status"])))
    if facts.get("credit"):
        lines.append(_("A serious or suspending credit record of the %(who)s is in effect.",
                       who=who))
    if not lines:
        explanation = explanation_of(flag.rule)
        lines.append(_(explanation) if explanation else flag.detail)
    return lines
