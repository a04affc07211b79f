"""Sign-in throttling (Flask-Limiter) and the security headers of every response.

Signing in, on the form (/sign-in) and on the token endpoint (POST /api/v1/tokens), is throttled
twice: per account tried and per client address. Only failed attempts count, so a person who
types the right password is never slowed down; once a limit is reached, further attempts are
refused with 429 and Retry-After before any password is hashed. Counts live in memory by
default and in Redis when RATELIMIT_STORAGE_URI says so (several workers must share them).
See docs/security.md.
"""

import time

from flask import Flask, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

from registry.extensions import db
from registry.models.base import DomainError, clean_email
from registry.services import accounts
from registry.services.audit import record

limiter = Limiter(key_func=get_remote_address)

# Every script and style comes from our own static folder: no inline code, no CDN, no frames.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


# -- throttling ------------------------------------------------------------------------------

def account_tried() -> str:
    """The email an attempt names (HTTP Basic user name or the form's email), in the one
    spelling sign-in matches accounts by: Ａdmin@… counts against admin@…."""
    auth = request.authorization
    tried = (auth.username if auth is not None and auth.type == "basic" else
             request.form.get("email", "")) or ""
    try:
        spelled = clean_email(tried.strip())
    except DomainError:  # names no account; still counted, under what can be kept
        spelled = printable(tried).strip().lower()
    return spelled[:200] or "(none)"


def printable(text: str) -> str:
    """What may go into a limit key and the audit log: no NUL or control characters."""
    return "".join(char for char in text if char.isprintable())


def attempt_failed(_response) -> bool:
    return g.get("sign_in_failed", False)


def _per_account() -> str:
    return current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"]


def _per_address() -> str:
    return current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"]


# Shared scopes: the form and the token endpoint draw on the same two counts.
_throttle_account = limiter.shared_limit(_per_account, scope="sign-in-account",
                                         key_func=account_tried, methods=["POST"],
                                         deduct_when=attempt_failed)
_throttle_address = limiter.shared_limit(_per_address, scope="sign-in-address",
                                         key_func=get_remote_address, methods=["POST"],
                                         deduct_when=attempt_failed)


def throttle_sign_in(view):
    """Decorate a view that checks a password: failed attempts are counted and capped."""
    return _throttle_account(_throttle_address(view))


def retry_after() -> int:
    """Seconds until every limit this request broke lets a new attempt through."""
    breached = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    return max(1, max(breached, default=0) - int(time.time()))


def failed_sign_in(via: str) -> None:
    """Count a failed attempt against both limits and keep it in the audit log.

    Committed at once: the request itself fails and its transaction is rolled back.
    """
    g.sign_in_failed = True
    _record_attempt("auth.sign_in_failed", via)


def throttled_sign_in(via: str) -> int:
    """Record a refused (throttled) attempt, the first of each SIGN_IN_THROTTLED_RECORDS
    window for this account and address; return the seconds to wait (Retry-After)."""
    db.session.rollback()
    records = parse(current_app.config["SIGN_IN_THROTTLED_RECORDS"])
    if limiter.limiter.hit(records, "sign-in-throttled-record", account_tried(),
                           get_remote_address()):
        _record_attempt("auth.throttled", via)
    return retry_after()


def _record_attempt(action: str, via: str) -> None:
    email = account_tried()
    record(None, action, "user", accounts.account_id(email) or "-",
           after={"email": email, "from": request.remote_addr, "via": via})
    db.session.commit()


# -- headers ---------------------------------------------------------------------------------

def is_private() -> bool:
    """The request carries credentials (a signed-in session or an Authorization header), so
    its answer is someone's own: it stays out of every cache. Decided without a query."""
    if request.endpoint == "static":
        return False
    return "_user_id" in session or "Authorization" in request.headers


def secure_headers(response):
    """The headers every response carries, pages, API, errors and static files alike; a view
    that set its own (the calendar feed's Referrer-Policy, say) keeps it."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["REGISTRY_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if is_private() or request.endpoint == "tokens.Tokens":
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    # Only the sign-in views are throttled, by their decorators, which check their limits
    # when the view is called. Flask-Limiter's before_request hook looks on every request for
    # default, application and blueprint limits, which this app has none of: ~0.4 million
    # instructions a request, 3 % of an average API call (docs/load.md). Its after_request
    # hook stays: it counts the failed attempts (deduct_when).
    if limiter.limit_manager.default_limits or limiter.limit_manager.application_limits:
        raise RuntimeError("limits for every request need Flask-Limiter's before_request hook")
    app.before_request_funcs[None].remove(limiter._check_request_limit)  # noqa: SLF001
    if app.config.get("CONTENT_SECURITY_POLICY", True):
        app.after_request(secure_headers)
