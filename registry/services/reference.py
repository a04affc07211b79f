"""Look-ups in the reference data for pickers: IPC fields by code or title, in either language."""

from sqlalchemy import case, func, or_, select

from registry.extensions import db
from registry.models import City, IpcField

MAX_OPTIONS = 30


def ipc_option(field: IpcField) -> dict:
    return {"value": field.code, "text": f"{field.code} {field.title_zh} / {field.title_en}"}


def search_ipc_fields(text: str) -> list[dict]:
    """IPC fields whose code starts with the text, or whose Chinese or English title holds it.

    Codes first, shallow before deep (G06F before G06F30), then titles.
    """
    if not text:
        return []
    code = text.upper().replace(" ", "")
    query = (select(IpcField)
             .where(or_(IpcField.code.startswith(code, autoescape=True),
                        IpcField.title_zh.contains(text, autoescape=True),
                        func.lower(IpcField.title_en).contains(text.lower(), autoescape=True)))
             .order_by(case((IpcField.code.startswith(code, autoescape=True), 0), else_=1),
                       func.length(IpcField.code), IpcField.code)
             .limit(MAX_OPTIONS))
    return [ipc_option(field) for field in db.session.scalars(query)]


def ipc_options(codes: list[str]) -> list[dict]:
    """The options for codes already chosen (to show a posted form again)."""
    query = select(IpcField).where(IpcField.code.in_(codes))
    fields = {field.code: field for field in db.session.scalars(query)}
    return [ipc_option(fields[c]) if c in fields else {"value": c, "text": c} for c in codes]


def city_choices(english: bool) -> list[tuple[str, str]]:
    """Every city as (code, name), grouped by jurisdiction, in the reader's language."""
    cities = db.session.scalars(select(City).order_by(City.jurisdiction_code, City.code))
    return [(c.code, f"{c.name_en} ({c.jurisdiction_code})" if english else
             f"{c.name_zh}（{c.jurisdiction_code}）") for c in cities]


# Languages a hearing is commonly held in or documents come in; stored as ISO 639 codes.
LANGUAGES = {"zh": ("中文（普通话）", "Chinese (Mandarin)"), "yue": ("粤语", "Cantonese"),
             "en": ("英语", "English"), "ja": ("日语", "Japanese"), "ko": ("韩语", "Korean"),
             "de": ("德语", "German"), "fr": ("法语", "French")}


def language_choices(english: bool) -> list[tuple[str, str]]:
    return [(code, names[1] if english else names[0]) for code, names in LANGUAGES.items()]
