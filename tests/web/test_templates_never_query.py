"""Views load what a page shows; rendering the template runs no SQL (no lazy loads)."""

from contextlib import contextmanager

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from registry.extensions import db


@contextmanager
def statements_while_rendering(app):
    rendering, seen = [], []

    def started(_sender, template, **_extra):
        rendering.append(template.name)

    def finished(_sender, template, **_extra):
        rendering.remove(template.name)

    def executed(_conn, _cursor, statement, *_args):
        if rendering:
            seen.append((rendering[-1], statement.split("\n")[0][:120]))

    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        before_render_template.disconnect(started, app)
        template_rendered.disconnect(finished, app)


CLERK_PAGES = ["/clerk/", "/clerk/cases", "/clerk/cases/new", "/clerk/cases/{case}",
               "/clerk/cases/{case}/requests/new", "/clerk/requests/{request}",
               "/clerk/requests/{request}/cancel", "/clerk/requests/{request}/complete"]


@pytest.mark.parametrize("url", CLERK_PAGES)
def test_clerk_pages_render_without_queries(app, client, world, make, sign_in, url):
    earlier = make.case(body=world.sh_court, number="（2023）沪73知民初1号")
    world.sh_case.earlier_stage = earlier
    if url.endswith("/complete"):  # asked only of accepted work
        world.proposal.status, world.sh_request.status = "accepted", "accepted"
    db.session.commit()
    sign_in("clerk_sh")
    with statements_while_rendering(app) as seen:
        response = client.get(url.format(case=world.sh_case.id, request=world.sh_request.id))
    assert response.status_code == 200
    assert seen == []
