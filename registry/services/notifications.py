"""Mail to the people a confirmation concerns, sent only once the transaction commits.

`assignment_confirmed(assignment)` only queues the assignment on its session (`session.info`).
Just before the commit the queue becomes messages, one per recipient, each listing every
assignment confirmed in the transaction that concerns that recipient: the expert (its
account's e-mail, else its contact e-mail) and the active clerks of the case's handling body,
with a link to the page where they see it. After the commit the messages go out over one SMTP
connection; a rollback drops them. Sending may fail: the failure is logged with the recipient
and the reason, and the confirmation stands.

Accounts have no language preference, so a mail is in Chinese, then in English.
"""

import logging
import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, object_session

from registry.config import MAIL_BACKENDS, ConfigError
from registry.extensions import db
from registry.models import Assignment, AssignmentStatus, User, UserRole

logger = logging.getLogger(__name__)

QUEUE, OUTBOX = "notifications.queue", "notifications.outbox"  # keys in session.info
LANGUAGES = ("zh_Hans", "en")  # the order of a mail's parts
CASES_IN_SUBJECT = 3
DEFAULT_SENDER = "registry@localhost"  # console and none only: smtp needs MAIL_FROM


@dataclass
class Mail:
    """One recipient's mail: who, in which capacity, about what."""

    address: str
    kind: str  # "expert" or "clerk": the template, and which page the links lead to
    link: str | None  # the expert's assignment list; None for an expert without an account
    items: list[dict] = field(default_factory=list)


# -- queueing, and the session's transaction ----------------------------------------------------

def assignment_confirmed(assignment: Assignment) -> None:
    """Queue mail about a confirmation: composed when the session commits, sent after it."""
    session = object_session(assignment) or db.session()
    session.info.setdefault(QUEUE, {})[id(assignment)] = assignment


URGENT = "notifications.urgent"  # key in session.info: urgent requests filed (urgent_mail.py)
FLAGGED = "notifications.flags"  # key in session.info: seats flagged (flag_mail.py)


def urgent_request_filed(request) -> None:
    """Queue mail to the region's coordinators about an urgent request, sent after commit."""
    session = object_session(request) or db.session()
    session.info.setdefault(URGENT, {})[id(request)] = request


def _compose_before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not (session.info.get(QUEUE)
                                               or session.info.get(URGENT)
                                               or session.info.get(FLAGGED)):
        return  # a savepoint is released, not committed: wait for the real commit
    queued = list(session.info.pop(QUEUE, {}).values())
    urgent = list(session.info.pop(URGENT, {}).values())
    flagged = list(session.info.pop(FLAGGED, {}).values())
    session.flush()  # outside the try: a failing flush must fail the commit, as without us
    try:
        from registry.services.flag_mail import compose as compose_flagged
        from registry.services.urgent_mail import compose_urgent

        session.info[OUTBOX] = (current_app._get_current_object(),
                                compose(queued) + compose_urgent(urgent)
                                + compose_flagged(flagged))
    except Exception:  # a mail that cannot be written must not stop the confirmation
        logger.exception("mail about %d confirmed assignment(s) could not be composed",
                         len(queued))


def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction() or OUTBOX not in session.info:
        return
    app, messages = session.info.pop(OUTBOX)
    send(app, messages)


def _drop(session: Session, transaction) -> None:
    """A rolled-back or closed transaction sends nothing (a savepoint's rollback keeps the
    queue: `compose` skips what it undid)."""
    if transaction.parent is None:
        session.info.pop(QUEUE, None)
        session.info.pop(URGENT, None)
        session.info.pop(FLAGGED, None)
        session.info.pop(OUTBOX, None)


LISTENERS = {"before_commit": _compose_before_commit, "after_commit": _send_after_commit,
             "after_soft_rollback": _drop, "after_transaction_end": _drop}


def init_app(app: Flask) -> None:
    """Check the mail settings, and have db.session send what it queued when it commits."""
    check_settings(app.config)
    if app.config.get("MAIL_BACKEND") == "none" and app.config.get("REGISTRY_ENV") == "production":
        app.logger.warning("MAIL_BACKEND is none (no MAIL_SERVER): notifications are not sent")
    for name, listener in LISTENERS.items():
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def check_settings(config) -> None:
    backend = config.get("MAIL_BACKEND", "none")
    if backend not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND is {backend!r}; use one of {', '.join(MAIL_BACKENDS)}.")
    missing = [name for name in ("MAIL_SERVER", "MAIL_FROM") if not config.get(name)]
    if backend == "smtp" and missing:
        raise ConfigError(f"MAIL_BACKEND is smtp, but {' and '.join(missing)} is not set.")


# -- composing -----------------------------------------------------------------------------------

def compose(queued: list[Assignment]) -> list[EmailMessage]:
    """One message per recipient about the queued assignments that are confirmed now."""
    confirmed = [a for a in queued
                 if inspect(a).persistent and a.status is AssignmentStatus.CONFIRMED]
    if not confirmed:
        return []
    accounts = expert_accounts({a.expert_id for a in confirmed})
    clerks = clerks_by_body({a.request.case.handling_body_id for a in confirmed})
    mails: dict[tuple[str, str], Mail] = {}
    for assignment in confirmed:
        item = describe(assignment)
        for address, kind, link in recipients(assignment, accounts, clerks):
            mails.setdefault((kind, address.lower()), Mail(address, kind, link)).items.append(item)
    messages = (_message_or_none(mail) for mail in mails.values())
    return [message for message in messages if message is not None]


def expert_accounts(expert_ids: set[int]) -> dict[int, User]:
    users = db.session.scalars(select(User).where(User.role == UserRole.EXPERT,
                                                  User.expert_id.in_(expert_ids)))
    return {user.expert_id: user for user in users}


def clerks_by_body(body_ids: set[int]) -> dict[int, list[User]]:
    """The active clerks of each handling body, and no one else."""
    users = db.session.scalars(select(User).where(
        User.role == UserRole.CLERK, User.active.is_(True), User.body_id.in_(body_ids))
        .order_by(User.id))
    clerks: dict[int, list[User]] = {}
    for user in users:
        clerks.setdefault(user.body_id, []).append(user)
    return clerks


def recipients(assignment: Assignment, accounts: dict, clerks: dict):
    """(address, kind, link) of everyone a confirmation concerns."""
    account = accounts.get(assignment.expert_id)
    if account is not None and account.active:
        yield account.email, "expert", public_url("expert.assignments")
    elif (assignment.expert.email or "").strip():  # no account to sign in with: no link
        yield assignment.expert.email.strip(), "expert", None
    for clerk in clerks.get(assignment.request.case.handling_body_id, []):
        yield clerk.email, "clerk", None


def describe(assignment: Assignment) -> dict:
    """What a mail says of one confirmation (loaded here, so templates never query)."""
    request = assignment.request
    return {"case_number": request.case.number, "role": request.role,
            "service": request.service, "city": request.city, "expert": assignment.expert.name,
            "days": [(d.start, d.end) for d in request.days],
            "link": public_url("clerk.request_page", request_id=request.id)}


def public_url(endpoint: str, **values) -> str:
    """A page's address as users reach it: PUBLIC_URL and the page's path.

    The path comes from the URL map, not from url_for: mail is composed inside a commit,
    maybe outside any request, and must not take the host of whoever's request confirmed.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/") + path


def _message_or_none(mail: Mail) -> EmailMessage | None:
    try:
        return message_for(mail)
    except Exception:  # one bad address or template must not cost the others their mail
        logger.exception("mail to %s could not be composed", mail.address)
        return None


def message_for(mail: Mail) -> EmailMessage:
    """The mail in Chinese, then in English (a part is given once while untranslated)."""
    from registry.web.labels import label_of, name_of  # the words for stored codes

    template = current_app.jinja_env.get_template(f"mail/assignment_confirmed_{mail.kind}.txt")
    subjects, bodies = [], []
    for language in LANGUAGES:
        with force_locale(language):
            subjects.append(subject_of(mail))
            bodies.append(template.render(mail=mail, label_of=label_of,
                                          name_of=name_of).strip() + "\n")
    sender = current_app.config.get("MAIL_FROM") or DEFAULT_SENDER
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.address
    message["Subject"] = " / ".join(dict.fromkeys(subjects))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(("\n" + "-" * 40 + "\n\n").join(dict.fromkeys(bodies)))
    return message


def subject_of(mail: Mail) -> str:
    numbers = list(dict.fromkeys(item["case_number"] for item in mail.items))
    cases = ", ".join(numbers[:CASES_IN_SUBJECT])
    if len(numbers) > CASES_IN_SUBJECT:
        cases = _("%(cases)s and %(count)d more", cases=cases,
                  count=len(numbers) - CASES_IN_SUBJECT)
    if mail.kind == "expert":
        return _("You are confirmed for work on %(cases)s", cases=cases)
    return _("Expert confirmed on %(cases)s", cases=cases)


# -- sending -------------------------------------------------------------------------------------

def send(app: Flask, messages: list[EmailMessage]) -> None:
    """Hand the messages to the configured backend. Never raises: the commit is done."""
    if not messages:
        return
    backend = app.config.get("MAIL_BACKEND", "none")
    try:
        BACKENDS[backend](app.config, messages)
    except Exception:  # a bug here must not turn a committed confirmation into an error
        logger.exception("%d mail(s) not sent (backend %s)", len(messages), backend)


def send_smtp(config, messages: list[EmailMessage]) -> None:
    """Every message over one connection; each failure is logged with its recipient."""
    try:
        smtp = connect(config)
    except (smtplib.SMTPException, OSError) as error:
        for message in messages:
            _not_sent(message, error)
        return
    try:
        for message in messages:
            try:
                smtp.send_message(message)
                logger.info("mail sent to %s: %s", message["To"], message["Subject"])
            except (smtplib.SMTPException, OSError) as error:
                _not_sent(message, error)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def connect(config) -> smtplib.SMTP:
    """Connect; with MAIL_USE_TLS a server that offers no STARTTLS gets nothing in clear."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)),
                        timeout=float(config.get("MAIL_TIMEOUT", 10)))
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _not_sent(message: EmailMessage, error: Exception) -> None:
    logger.error("mail to %s not sent: %s", message["To"], reason(error))


def reason(error: Exception) -> str:
    """What the server or the network said, in one line."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
    return f"{type(error).__name__}: {error}"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def print_to_console(config, messages: list[EmailMessage]) -> None:
    """Development and the demo: print each mail, readable, instead of sending it."""
    for message in messages:
        print(f"----- mail (MAIL_BACKEND=console: printed, not sent) -----\n"
              f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n"
              f"{message.get_content().rstrip()}\n"
              f"----- end of mail -----", file=sys.stdout, flush=True)


def discard(config, messages: list[EmailMessage]) -> None:
    logger.debug("%d mail(s) not sent: MAIL_BACKEND is none", len(messages))


BACKENDS = {"smtp": send_smtp, "console": print_to_console, "none": discard}
