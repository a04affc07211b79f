"""The console's expert record: what an expert's coordinators keep (roles, technical fields,
home city, appointing body and term, status, besides what the expert keeps itself) and its
discipline and credit records.

Coordinators of the expert's region and admins (permissions.can_manage_expert) change it
through the same services as PATCH /api/v1/experts/<id> and POST .../credit-records; a change
that breaks a held seat flags the seat (docs/flags.md), and every change is audited.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from registry.extensions import db
from registry.models import CreditKind, CreditRecord, ExpertRole, ExpertStatus
from registry.models.base import local_today
from registry.schemas.experts import CreditRecordSchema
from registry.services import access, console_queries, expert_queries
from registry.services import experts as service
from registry.services import permissions as may
from registry.web import expert_record as record
from registry.web.coordinator import bp
from registry.web.forms import Form, submit
from registry.web.labels import choices, is_english

BLANK_FIELD_ROWS = 2  # empty rows under the expert's fields, for adding one


def record_page(expert_id: int, form: Form | None = None, credit_form: Form | None = None):
    expert = access.expert_to_manage(current_user, expert_id)
    editable = may.editable_expert_fields(current_user, expert)
    form = form if form is not None else record.record_form(editable,
                                                             record.record_values(expert))
    credit_form = credit_form if credit_form is not None else Form(CreditRecordSchema())
    field_rows = form.rows("fields", minimum=0)
    next_row = max(field_rows, default=-1) + 1
    field_rows += range(next_row, next_row + BLANK_FIELD_ROWS)
    status = 422 if form.errors or credit_form.errors else 200
    return render_template(
        "coordinator/record.html", expert=expert, form=form, credit_form=credit_form,
        editable=editable, field_rows=field_rows, roles=choices(ExpertRole),
        statuses=choices(ExpertStatus), credit_kinds=choices(CreditKind),
        cities=console_queries.cities_in_scope(current_user, is_english(),
                                               keep=expert.home_city_code),
        bodies=console_queries.appointing_bodies(current_user, is_english(),
                                                 keep=expert.appointing_body_id),
        languages=record.language_choices(expert),
        credit_records=sorted(expert.credit_records, key=lambda r: r.start, reverse=True),
        ipc=expert_queries.ipc_fields([f.ipc_code for f in expert.fields]),
        today=local_today()), status


@bp.get("/experts/<int:expert_id>/record")
def expert_record(expert_id):
    return record_page(expert_id)


@bp.post("/experts/<int:expert_id>/record")
def change_expert_record(expert_id):
    expert = access.expert_to_manage(current_user, expert_id)
    editable = may.editable_expert_fields(current_user, expert)
    form = record.record_form(editable, record.posted_values())
    flagged = console_queries.open_flags_of(expert_id)
    if record.submit_record(form, editable, expert, current_user) is None:
        return record_page(expert_id, form=form)
    flash(_("The record of %(expert)s was saved.", expert=expert.name), "success")
    say_new_flags(expert_id, flagged)
    return redirect(url_for("coordinator.expert_record", expert_id=expert_id))


def say_new_flags(expert_id: int, before: int) -> None:
    """A change that breaks seats the expert holds says so (they are on Flagged seats)."""
    if (raised := console_queries.open_flags_of(expert_id) - before) > 0:
        flash(ngettext("%(num)d seat the expert holds now breaks a rule: see Flagged seats.",
                       "%(num)d seats the expert holds now break a rule: see Flagged seats.",
                       raised), "warning")


@bp.post("/experts/<int:expert_id>/credit-records")
def add_credit_record(expert_id):
    expert = access.expert_to_manage(current_user, expert_id)
    credit_form = Form(CreditRecordSchema(), request.form)
    flagged = console_queries.open_flags_of(expert_id)
    if submit(credit_form, lambda data: service.add_credit_record(expert, data,
                                                                  current_user)) is None:
        return record_page(expert_id, credit_form=credit_form)
    flash(_("The credit record was added."), "success")
    say_new_flags(expert_id, flagged)
    return redirect(url_for("coordinator.expert_record", expert_id=expert_id) + "#credit")


@bp.post("/experts/<int:expert_id>/credit-records/<int:entry_id>/remove")
def remove_credit_record(expert_id, entry_id):
    """A record entered by mistake; the audit log keeps what it said and who removed it."""
    expert = access.expert_to_manage(current_user, expert_id)
    entry = access.owned(CreditRecord, entry_id, expert)
    service.remove_credit_record(entry, current_user)
    db.session.commit()
    flash(_("The credit record was removed."), "success")
    return redirect(url_for("coordinator.expert_record", expert_id=expert_id) + "#credit")
