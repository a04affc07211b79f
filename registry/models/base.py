"""Column types, SQL helpers and errors shared by every model."""

import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import JSONB

# The clock of the people served: China Standard Time (Hong Kong shares it). Days they name
# ("from 2026-12-01") are days on this clock; timestamps are stored in UTC.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today on the clock of the people served (not the machine's, often UTC)."""
    return datetime.now(LOCAL_TIME).date()

# PostgreSQL's plain json cannot be compared; JSONB can. SQLite stores text either way.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timestamp stored and returned in UTC on every backend.

    SQLite hands back naive datetimes and PostgreSQL aware ones; this type makes both aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def written_in(number: int):
    """A LIMIT or OFFSET written into the SQL, not sent as a parameter. PostgreSQL cannot
    cost a prepared statement's generic plan without knowing its LIMIT, so it planned such a
    query anew every time (a custom plan: ~0.4 ms of its CPU an expert search's page,
    docs/load.md); written in, each value makes a statement of its own, planned once."""
    return bindparam("written_in", number, unique=True, literal_execute=True)


class DomainError(Exception):
    """A rule of the domain was broken; the API answers 409 or 422.

    `message` is an English template with {named} placeholders and `params` fill it: the
    English text is `str(error)`, and the web layer looks the template up in the user's
    language before filling it (pybabel extracts it: DomainError is an extraction keyword).
    """

    status = 422

    def __init__(self, message: str, field: str | None = None, **params):
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
        self.field = field


class InvalidTransition(DomainError):
    """A status change that the lifecycle does not allow."""

    status = 409


# Unicode categories an identifier may not hold after NFKC: controls (Cc), format characters
# such as U+200B ZERO WIDTH SPACE and U+202E RIGHT-TO-LEFT OVERRIDE (Cf), surrogates (Cs),
# private use (Co), unassigned code points (Cn) and line or paragraph separators (Zl, Zp).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_identifier(text: str, field: str | None = None) -> str:
    """An identifier (case number, file number, body code, email address) in its one spelling.

    NFKC folds look-alikes onto one form (full-width ２０２５ becomes 2025, full-width brackets
    ASCII ones), so two spellings of one number collide on uniqueness. What NFKC leaves
    ambiguous is refused: invisible or control characters, and digits other than 0-9 (NFKC
    keeps Arabic-Indic ٣ as it is, and Python's \\d and int() would read it as 3).
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    if any(unicodedata.category(char) in HIDDEN_CATEGORIES for char in normal):
        raise DomainError("contains an invisible or control character", field=field)
    if any(unicodedata.category(char) == "Nd" and not char.isascii() for char in normal):
        raise DomainError("contains a digit other than 0-9", field=field)
    return normal


def clean_email(text: str) -> str:
    """An email address in its one spelling: an identifier, lower-cased (casefold), so that
    Ａdmin@Example.com and admin@example.com are one account."""
    return clean_identifier(text).casefold()
