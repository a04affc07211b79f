"""Bulk import and export of experts: the template, an upload's report, the commit, the export.

An upload is kept as it came (`ExpertImport`) and checked again each time its page is shown
and at commit, against the registry as it is then; the rules live in the services
(expert_sheet: the file; expert_import_checks: the rows; expert_import: the workflow).
"""

from datetime import datetime
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.i18n import translate_error, translate_message
from registry.models import ExpertImport, ImportStatus
from registry.models.base import LOCAL_TIME
from registry.services import access, expert_export, expert_import
from registry.services.audit import record
from registry.services.expert_import_checks import Problem, Report
from registry.services.expert_sheet import BY_KEY, MAX_BYTES, SheetError
from registry.web.admin import bp
from registry.web.forms import Form

UPLOAD_WITH_UPLOADER = (joinedload(ExpertImport.uploaded_by),)
SHOWN_ROWS = 500   # rows with problems listed on the preview; fix those first
SHOWN_EXPERTS = 200


def page(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def recent_imports() -> list[ExpertImport]:
    return list(db.session.scalars(
        select(ExpertImport).options(joinedload(ExpertImport.uploaded_by))
        .order_by(ExpertImport.id.desc()).limit(10)))


def status_words() -> dict[str, str]:
    return {ImportStatus.PENDING.value: _("checked, not imported"),
            ImportStatus.IMPORTED.value: _("imported"),
            ImportStatus.DISCARDED.value: _("discarded")}


def upload_page(form: Form, status: int = 200):
    return page("admin/experts/import.html", status, form=form, imports=recent_imports(),
                limit_mb=MAX_BYTES // 2**20, status_words=status_words())


@bp.get("/experts/import")
def import_experts():
    return upload_page(Form(Schema()))


@bp.post("/experts/import")
def upload_experts():
    form = Form(Schema())
    file = request.files.get("file")
    if request.content_length and request.content_length > MAX_BYTES + 64 * 1024:
        form.errors["file"] = [_("The file is larger than %(limit)d MB.",
                                 limit=MAX_BYTES // 2**20)]
    elif file is None or not file.filename:
        form.errors["file"] = [_("Choose a CSV or .xlsx file to upload.")]
    else:
        try:
            upload = expert_import.store(file.filename, file.read(MAX_BYTES + 1), current_user)
            db.session.commit()
            return redirect(url_for("admin.show_import", import_id=upload.id))
        except SheetError as error:
            db.session.rollback()
            form.add_error(error)
    return upload_page(form, 422)


# -- one upload: its report, its commit, its summary ---------------------------------------------

def problem_text(problem: Problem) -> str:
    """A problem in the reader's language (marshmallow's own messages are matched back)."""
    return translate_message(problem.template) if problem.formatted else \
        translate_error(problem)


def column_label(problem: Problem) -> str:
    if problem.column is None:
        return _("the whole row")
    header = BY_KEY[problem.column].header
    return f"{problem.letter} · {header}" if problem.letter else header


def grouped(report: Report) -> list[dict]:
    """Rows with problems, each with its (column, message) pairs, for the table."""
    return [{"number": item.row.number,
             "problems": [(column_label(p), problem_text(p)) for p in item.problems]}
            for item in report.bad[:SHOWN_ROWS]]


def preview_page(upload: ExpertImport, report: Report, status: int = 200, notice: str = ""):
    return page("admin/experts/preview.html", status, upload=upload, notice=notice,
                rows=len(report.rows), good=len(report.good), bad=len(report.bad),
                problems=grouped(report), hidden=max(0, len(report.bad) - SHOWN_ROWS),
                new_organizations=report.new_organizations,
                all_rows=expert_import.ALL_ROWS, good_rows=expert_import.GOOD_ROWS)


def load_import(import_id: int) -> ExpertImport:
    return access.get_row(ExpertImport, import_id, "import", load=UPLOAD_WITH_UPLOADER)


@bp.get("/experts/import/<int:import_id>")
def show_import(import_id):
    """A pending upload's report (checked now), or what became of it."""
    upload = load_import(import_id)
    if upload.status is ImportStatus.PENDING:
        return preview_page(upload, expert_import.check_upload(upload))
    summary = upload.summary or {}
    experts = summary.get("experts", [])
    return page("admin/experts/summary.html", upload=upload, summary=summary,
                status_words=status_words(),
                experts=experts[:SHOWN_EXPERTS], more=max(0, len(experts) - SHOWN_EXPERTS))


def posted_count() -> int:
    value = request.form.get("expected", "")
    return int(value) if value.isdigit() and len(value) < 7 else -1


@bp.post("/experts/import/<int:import_id>/commit")
def commit_import(import_id):
    mode = request.form.get("mode")
    if mode not in (expert_import.ALL_ROWS, expert_import.GOOD_ROWS):
        abort(400)
    upload = load_import(import_id)
    summary = expert_import.commit(upload, mode, posted_count(), current_user)
    if summary is None:
        db.session.rollback()  # the status goes back to pending with the rest
        upload = load_import(import_id)
        return preview_page(upload, expert_import.check_upload(upload), 409, _(
            "Nothing was imported: checked again, the file no longer gives what you chose "
            "(the registry may have changed since the preview). Look at the report again."))
    db.session.commit()
    flash(_("%(count)d experts imported.", count=summary["imported"]), "success")
    return redirect(url_for("admin.show_import", import_id=import_id))


@bp.post("/experts/import/<int:import_id>/discard")
def discard_import(import_id):
    expert_import.discard(load_import(import_id), current_user)
    db.session.commit()
    flash(_("The upload was discarded; nothing was imported."), "success")
    return redirect(url_for("admin.import_experts"))


# -- files to download ---------------------------------------------------------------------------

def download(content: bytes, kind: str, name: str):
    return send_file(BytesIO(content), mimetype=expert_export.FORMATS[kind][0],
                     as_attachment=True, download_name=f"{name}.{kind}", max_age=0)


def file_kind(kind: str) -> str:
    if kind not in expert_export.FORMATS:
        abort(404)
    return kind


@bp.get("/experts/template.<kind>")
def import_template(kind):
    return download(expert_export.template(file_kind(kind)), kind, "experts-template")


@bp.get("/experts/export.<kind>")
def export_experts(kind):
    """Every expert the user may list, with contacts only where the user may see them."""
    today = datetime.now(LOCAL_TIME).date()
    content, count = expert_export.export(current_user, file_kind(kind), today)
    record(current_user, "export", "expert", "*", after={"format": kind, "experts": count})
    db.session.commit()
    return download(content, kind, f"experts-{today.isoformat()}")
