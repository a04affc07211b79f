"""Mail to a region's coordinators when an urgent evidence-preservation request is filed.

Queued by `notifications.urgent_request_filed` inside the filing's transaction, composed just
before its commit and sent after it, by the same machinery as the confirmation mails (a
rollback sends nothing; a failure to send is logged and the filing stands). Recipients: every
active coordinator who may dispatch the request (permissions.can_dispatch), one mail each.
"""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import inspect, select

from registry.extensions import db
from registry.models import DispatchRequest, User, UserRole
from registry.models.base import LOCAL_TIME
from registry.services import permissions as may
from registry.services.notifications import DEFAULT_SENDER, LANGUAGES, logger, public_url


def compose_urgent(queued: list[DispatchRequest]) -> list[EmailMessage]:
    """One message per coordinator and urgent request still urgent and in the database."""
    requests = [r for r in queued if inspect(r).persistent and r.urgent]
    if not requests:
        return []
    coordinators = list(db.session.scalars(select(User).where(
        User.role == UserRole.COORDINATOR, User.active.is_(True)).order_by(User.id)))
    messages = []
    for request in requests:
        for user in coordinators:
            if not may.can_dispatch(user, request):
                continue
            try:
                messages.append(message_for(request, user.email))
            except Exception:  # one bad address must not cost the others their mail
                logger.exception("urgent mail to %s could not be composed", user.email)
    return messages


def describe(request: DispatchRequest) -> dict:
    return {"case_number": request.case.number, "body": request.case.handling_body,
            "role": request.role, "service": request.service, "city": request.city,
            "days": [(d.start, d.end) for d in request.days],
            "needed_by": request.needed_by.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M"),
            "link": public_url("coordinator.candidates", request_id=request.id)}


def message_for(request: DispatchRequest, address: str) -> EmailMessage:
    """The mail in Chinese, then in English."""
    from registry.web.labels import label_of, name_of  # the words for stored codes

    item = describe(request)
    template = current_app.jinja_env.get_template("mail/urgent_request_coordinator.txt")
    subjects, bodies = [], []
    for language in LANGUAGES:
        with force_locale(language):
            subjects.append(_("Urgent: expert needed by %(time)s on %(case)s",
                              time=item["needed_by"], case=item["case_number"]))
            bodies.append(template.render(item=item, label_of=label_of,
                                          name_of=name_of).strip() + "\n")
    sender = current_app.config.get("MAIL_FROM") or DEFAULT_SENDER
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = " / ".join(dict.fromkeys(subjects))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message["Importance"] = "high"
    message.set_content(("\n" + "-" * 40 + "\n\n").join(dict.fromkeys(bodies)))
    return message
