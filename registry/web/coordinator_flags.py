"""The console's flagged seats (docs/flags.md): held seats that a change recorded after they
were taken now breaks, with the rule in words and the ways to re-plan.

Registers on the coordinator blueprint (imported at the end of web/coordinator.py), and gives
every template the words for a flag (`flag_title`, `flag_lines`) and the clerk's case page its
flagged seats (`flagged_on_case`: from the loaded case, no query).
"""

from flask import render_template
from flask_login import current_user

from registry.services import flags
from registry.web.coordinator import bp
from registry.web.flag_words import flag_lines, flag_title


@bp.record_once
def _template_words(state) -> None:
    state.app.jinja_env.globals.update(flag_title=flag_title, flag_lines=flag_lines,
                                       flagged_on_case=flags.flagged_on_case)


@bp.get("/flags")
def flagged():
    """Every held seat of the region with an open flag, the latest first."""
    return render_template("coordinator/flags.html",
                           seats=flags.flagged_seats(current_user))
