"""The API's JSON is written by orjson (registry/json_provider.py) exactly as Flask's own
provider wrote it: keys sorted, compact, non-ASCII text as is, one line and a newline."""

import json
from datetime import date

from flask import jsonify


def flask_default(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def test_api_answers_are_written_as_the_standard_library_wrote_them(client, world, as_):
    for path in ("/api/v1/experts", f"/api/v1/experts/{world.sh_expert.id}",
                 f"/api/v1/requests/{world.sh_request.id}", "/api/v1/assignments",
                 "/api/v1/reference/cities"):
        answer = client.get(path, headers=as_("admin"))
        assert answer.status_code == 200, path
        assert answer.get_data(as_text=True) == flask_default(answer.get_json()), path
    assert "张伟" in client.get("/api/v1/experts", headers=as_("admin")).get_data(as_text=True)


def test_what_orjson_cannot_write_is_written_by_the_standard_library(app):
    with app.test_request_context():
        beyond_64_bits = {"id": 2**70, "name": "李娜"}
        assert jsonify(beyond_64_bits).get_data(as_text=True) == flask_default(beyond_64_bits)
        assert jsonify({"b": 1, "a": date(2025, 3, 3)}).get_data(as_text=True) == \
            '{"a":"2025-03-03","b":1}\n'
