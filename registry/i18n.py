"""Chinese first, English on request: the interface language and translated messages.

The language comes from `?lang=` (remembered in a cookie), then the cookie, then the browser's
Accept-Language. Every Chinese tag (zh, zh-CN, zh-Hans, and also zh-HK, zh-TW, zh-Hant: there
is no Traditional catalog, and Simplified serves those readers better than English) gives
Simplified Chinese; anything else that names English gives English. Pages default to Chinese;
the JSON API defaults to English, since its callers are programs whose logs are read by
programmers, and follows Accept-Language like the pages.

Messages from models and services are DomainErrors (an English template plus parameters) and
are looked up in the catalog before they are filled. marshmallow formats its own messages
before raising, so `translate_messages` matches each formatted message back to its template.
"""

import re
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from registry.extensions import babel

LOCALES = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
LANG_COOKIE = "lang"
LANG_NAMES = {"zh_Hans": "中文", "en": "English"}


def N_(template: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark a template for extraction; it is translated where it is shown."""
    return template


def _from_tag(tag: str | None) -> str | None:
    """zh, zh-CN, zh_Hans, zh-HK ... -> zh_Hans; en, en-GB ... -> en; anything else -> None."""
    if not tag:
        return None
    primary = tag.replace("_", "-").split("-")[0].lower()
    return {"zh": "zh_Hans", "en": "en"}.get(primary)


def _from_accept_language() -> str | None:
    for tag, _quality in request.accept_languages:  # best first
        if locale := _from_tag(tag):
            return locale
    return None


def select_locale() -> str:
    chosen = _from_tag(request.args.get("lang")) or _from_tag(request.cookies.get(LANG_COOKIE))
    if chosen:
        return chosen
    fallback = "en" if request.path.startswith("/api/") else DEFAULT_LOCALE
    return _from_accept_language() or fallback


def remember_language(response):
    """A `?lang=` switch is remembered for a year."""
    chosen = _from_tag(request.args.get("lang"))
    if chosen and chosen != _from_tag(request.cookies.get(LANG_COOKIE)):
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response


def switch_url(locale: str) -> str:
    """This page in another language, with its filters and month kept."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [locale]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE)
    app.after_request(remember_language)
    app.jinja_env.globals.update(LANG_NAMES=LANG_NAMES, get_locale=get_locale,
                                 switch_url=switch_url)


# -- translating messages ------------------------------------------------------------------------

def translate_error(error) -> str:
    """A DomainError in the user's language (its English text when a translation is missing).

    Parameters that are stored codes (statuses, roles, kinds) are put in words, and those that
    are marked texts themselves are translated, so that no English is left in a Chinese
    sentence; names and numbers pass through unchanged.
    """
    from registry.web.labels import label_of  # the words for stored codes

    if not error.params:
        return gettext(error.template)
    params = {key: gettext(label_of(value)) if isinstance(value, str) else value
              for key, value in error.params.items()}
    return fill(gettext(error.template), params)


def fill(template: str, params: dict) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):  # a broken translation must not break the page
        return template


# marshmallow's own messages (and the templates of our schemas), as marshmallow writes them
# before formatting. `{name}` stands for a formatted value; `{name!r}` for one shown in quotes.
VALIDATION_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Not a valid list."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid mapping type."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be greater than {min}."),
    N_("{input!r} is not an IPC code such as G, G06, G06F or G06F30"),
    N_("{input!r} is not a language code such as zh, en or yue"),
    N_("{input!r} is not a phone number"),
    N_("{end} must not be before {start}"),
    N_("an organization can be a party once per case"),
    N_("each IPC code may appear once"),
    N_("each expert may be named once"),
    N_("choose one to twenty technical fields"),
    N_("choose at least one language"),
    N_("choose at least one role"),
)


# Default messages that no extraction keyword reaches (they are default arguments).
DEFAULT_MESSAGES = (N_("outside your scope"),)


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)(?:!r)?\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                    for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


_PATTERNS = [(template, _pattern(template)) for template in VALIDATION_MESSAGES]


def translate_message(message: str) -> str:
    """One formatted validation message in the user's language.

    A value shown with !r arrives in Python's quotes; a translation writes its own (“ ”).
    """
    for template, pattern in _PATTERNS:
        if match := pattern.match(message):
            translated = gettext(template)
            values = match.groupdict()
            if translated != template:
                values = {name: _unquoted(value) for name, value in values.items()}
            return fill(translated.replace("!r}", "}"), values)
    return gettext(message)


def _unquoted(value: str) -> str:
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
    return value[1:-1] if quoted else value


def translate_messages(messages):
    """marshmallow's error dict (nested dicts and lists of strings), translated."""
    if isinstance(messages, dict):
        return {key: translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(message) for message in messages]
    return translate_message(messages) if isinstance(messages, str) else messages


__all__ = ["N_", "_l", "init_app", "translate_error", "translate_messages"]
