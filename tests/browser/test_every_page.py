"""Every page of the clerk, the expert and the coordinator, in Chinese and in English, for people
to look at.

The journeys screenshot the pages they pass through; this fills in the rest (lists, blank
forms, confirmation steps), and checks each page loads in both languages within the window,
with no request leaving the machine and no CSP violation (the `page` fixture's guards).
"""

import re

from tests.browser.harness import screenshot_languages

CLERK = "clerk.sh-ipc"


def first_link(page, live_server, path: str, pattern: str) -> str:
    page.goto(live_server.link(path))
    for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.pathname)"):
        if re.fullmatch(pattern, href):
            return href
    raise AssertionError(f"no link like {pattern} on {path}")


def test_every_clerk_page_in_both_languages(page, live_server, sign_in):
    sign_in(CLERK)
    case = first_link(page, live_server, "/clerk/cases", r"/clerk/cases/\d+")
    request = first_link(page, live_server, "/clerk/", r"/clerk/requests/\d+")
    accepted = first_link(page, live_server, "/clerk/?status=accepted", r"/clerk/requests/\d+")
    for name, path in [("clerk-requests", "/clerk/"), ("clerk-cases", "/clerk/cases"),
                       ("clerk-case-form", "/clerk/cases/new"), ("clerk-case-page", case),
                       ("clerk-request-form", f"{case}/requests/new"),
                       ("clerk-request-page", request),
                       ("clerk-cancel-question", f"{request}/cancel"),
                       ("clerk-complete-question", f"{accepted}/complete")]:
        page.goto(live_server.link(path))
        screenshot_languages(page, f"every-{name}", fits_width=True)


def test_every_expert_page_in_both_languages(page, live_server, sign_in):
    sign_in("expert")
    for name, path in [("expert-assignments", "/expert/"), ("expert-calendar", "/expert/calendar"),
                       ("expert-declarations", "/expert/declarations"),
                       ("expert-affiliation-form", "/expert/declarations/affiliations/new"),
                       ("expert-conflict-form", "/expert/declarations/conflicts/new"),
                       ("expert-profile", "/expert/profile")]:
        page.goto(live_server.link(path))
        screenshot_languages(page, f"every-{name}", fits_width=True)
    end = first_link(page, live_server, "/expert/declarations",
                     r"/expert/declarations/affiliations/\d+/end")
    page.goto(live_server.link(end))
    screenshot_languages(page, "every-expert-affiliation-end", fits_width=True)


def test_every_console_page_in_both_languages(page, live_server, sign_in):
    sign_in("coordinator.yrd")
    request = first_link(page, live_server, "/console/",
                         r"/console/requests/\d+/candidates")
    for name, path in [("console-requests", "/console/"),
                       ("console-experts", "/console/experts"),
                       ("console-runs", "/console/runs"),
                       ("console-candidates", request)]:
        page.goto(live_server.link(path))
        screenshot_languages(page, f"every-{name}")
    record = first_link(page, live_server, "/console/experts", r"/console/experts/\d+/record")
    page.goto(live_server.link(record))
    screenshot_languages(page, "every-console-expert-record")
