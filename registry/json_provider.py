"""JSON answers written by orjson: the API's every response is JSON, and the standard
library's encoder (with Flask's key sorting) was a few per cent of a call (docs/load.md).

The output is what Flask's default provider wrote with `ensure_ascii = False` and compact
separators: keys sorted, non-ASCII text as is (张伟, not \\u5f20\\u4f1f), one line and a
newline. Dates and times that reach it unformatted are written in ISO 8601 (marshmallow
formats the API's own), and what orjson does not know goes to Flask's `default`
(dataclasses, `__html__`); what orjson cannot write at all, such as an integer beyond 64
bits that an error message echoes, the standard library writes. Reading JSON stays with the
standard library, whose errors registry/input_guard.py turns into its answers.
"""

import orjson
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    ensure_ascii = False

    def dumps(self, obj, **kwargs) -> str:
        if kwargs.get("indent") or kwargs.get("ensure_ascii"):  # debug mode's pretty output
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits (an echoed input)
            return super().dumps(obj, **kwargs)
