"""Mail about flagged seats (docs/flags.md), sent only once the transaction commits.

`flags_raised(flags)` queues the flags on the session; registry/services/notifications.py turns
the queue into messages just before the commit (`compose`) and sends them after it, as it does
for confirmations; a rollback drops them. Recipients: the active clerks of the case's handling
body and the active coordinators whose region covers the case. In Chinese, then in English.
"""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import object_session

from registry.extensions import db
from registry.models import AssignmentFlag, User, UserRole
from registry.services import notifications
from registry.services.permissions import region_jurisdictions

FLAG_QUEUE = notifications.FLAGGED  # key in session.info


def flags_raised(flags: list[AssignmentFlag]) -> None:
    """Queue mail about these new flags: composed when the session commits, sent after it."""
    if not flags:
        return
    session = object_session(flags[0]) or db.session()
    queue = session.info.setdefault(FLAG_QUEUE, {})
    for flag in flags:
        queue[id(flag)] = flag


def coordinators_of(jurisdictions: set[str]) -> dict[str, list[User]]:
    """The active coordinators whose region covers each jurisdiction."""
    users = db.session.scalars(select(User).where(User.role == UserRole.COORDINATOR,
                                                  User.active.is_(True)).order_by(User.id))
    regions = [(user, region_jurisdictions(user.region)) for user in users]
    return {code: [user for user, covered in regions if code in covered]
            for code in jurisdictions}


def compose(queued: list[AssignmentFlag]) -> list[EmailMessage]:
    """One message per recipient about the queued flags that are still open."""
    flags = [f for f in queued if inspect(f).persistent and f.is_open
             and f.assignment.is_active]
    if not flags:
        return []
    cases = {f.assignment.request.case for f in flags}
    clerks = notifications.clerks_by_body({case.handling_body_id for case in cases})
    coordinators = coordinators_of({case.handling_body.jurisdiction_code for case in cases})
    mails: dict[tuple[str, str], notifications.Mail] = {}
    for flag in flags:
        case = flag.assignment.request.case
        readers = [(u, "clerk", notifications.public_url("clerk.case", case_id=case.id))
                   for u in clerks.get(case.handling_body_id, [])]
        readers += [(u, "coordinator", notifications.public_url("coordinator.flagged"))
                    for u in coordinators.get(case.handling_body.jurisdiction_code, [])]
        for user, kind, link in readers:
            mail = mails.setdefault((kind, user.email.lower()),
                                    notifications.Mail(user.email, kind, link))
            mail.items.append(flag)
    messages = []
    for mail in mails.values():
        try:
            messages.append(message_for(mail))
        except Exception:  # one bad template or address must not cost the others their mail
            notifications.logger.exception("flag mail to %s could not be composed",
                                           mail.address)
    return messages


def message_for(mail: notifications.Mail) -> EmailMessage:
    from registry.web.flag_words import flag_lines, flag_title
    from registry.web.labels import label_of, name_of

    template = current_app.jinja_env.get_template("mail/assignment_flagged.txt")
    subjects, bodies = [], []
    for language in notifications.LANGUAGES:
        with force_locale(language):
            numbers = ", ".join(dict.fromkeys(f.assignment.request.case.number
                                              for f in mail.items))
            subjects.append(_("A held seat breaks a rule on %(cases)s", cases=numbers))
            bodies.append(template.render(mail=mail, label_of=label_of, name_of=name_of,
                                          flag_lines=flag_lines,
                                          flag_title=flag_title).strip() + "\n")
    sender = current_app.config.get("MAIL_FROM") or notifications.DEFAULT_SENDER
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.address
    message["Subject"] = " / ".join(dict.fromkeys(subjects))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(("\n" + "-" * 40 + "\n\n").join(dict.fromkeys(bodies)))
    return message
