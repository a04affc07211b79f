"""Server time of every page in the clerk's and the expert's journeys, on the demo registry.

    python -m benchmarks.pages [--renders 60] [--databases sqlite,postgresql]

For each database: migrate a fresh schema, seed the reference data and the demo registry as
`make demo` does (400 experts), sign in as the demo clerk and the demo expert through the
sign-in form, then render each page of their journeys through the Flask test client (routing,
session, permission checks, SQL, templates, translation) in Chinese, and print p50/p95 per page.
The target (issue 6) is p95 < 150 ms per page. A measurement, not a test: it asserts nothing.
"""

import argparse
import gc
import re
import sys
import time
from datetime import date, timedelta

from benchmarks.databases import each_database
from benchmarks.expert_search import build_app, build_registry, percentile

TARGET_P95_MS = 150.0


def sign_in(app, email: str):
    from registry.services.seeding import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {response.status_code}")
    return client


def first_link(client, url: str, pattern: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(pattern, html)
    if not match:
        raise SystemExit(f"no link matching {pattern} on {url}")
    return match.group(0)


def clerk_pages(client) -> list[tuple[str, str, dict | None]]:
    """(name, url, form data for a POST or None) along the clerk's journey."""
    case_url = first_link(client, "/clerk/cases", r"/clerk/cases/\d+")
    request_url = first_link(client, "/clerk/", r"/clerk/requests/\d+")
    return [
        ("sign-in page", "/sign-in", None),
        ("requests list", "/clerk/", None),
        ("requests, filtered", "/clerk/?status=submitted&number=知民", None),
        ("cases list", "/clerk/cases", None),
        ("case form", "/clerk/cases/new", None),
        ("案号 check (fragment)", "/clerk/cases/check-number",
         {"number": "（2026）沪73知民初77号", "kind": "civil"}),
        ("IPC search (JSON)", "/clerk/search/ipc?q=计算", None),
        ("party search (JSON)", "/clerk/search/organizations?q=科技", None),
        ("case page", case_url, None),
        ("request form", f"{case_url}/requests/new", None),
        ("request page", request_url, None),
        ("cancel question", f"{request_url}/cancel", None),
    ]


def expert_pages(client) -> list[tuple[str, str, dict | None]]:
    decline = first_link(client, "/expert/", r"/expert/assignments/\d+/decline")
    pages = [("assignments", "/expert/", None), ("calendar", "/expert/calendar", None),
             ("decline form", decline, None),
             ("affiliations and conflicts", "/expert/declarations", None),
             ("profile", "/expert/profile", None)]
    html = client.get("/expert/profile").get_data(as_text=True)
    if feed := re.search(r"/calendar/[\w\-]+\.ics", html):
        pages.append(("iCalendar feed", feed.group(0), None))
    return pages


def render(client, name: str, url: str, form: dict | None):
    response = client.post(url, data=form) if form else client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{name} ({url}) answered {response.status_code}")
    return response


def measure(client, pages, renders: int, warmup: int = 5) -> list[dict]:
    rows = []
    for name, url, form in pages:
        for _ in range(warmup):
            render(client, name, url, form)
        times = []
        for _ in range(renders):
            started = time.perf_counter()
            response = render(client, name, url, form)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        shown = re.sub(r"/calendar/[^/]+\.ics", "/calendar/<token>.ics", url.split("?")[0])
        rows.append({"page": name, "url": shown, "bytes": len(response.data),
                     "p50": percentile(times, 50), "p95": percentile(times, 95)})
    return rows


def measure_posts(client, name: str, url: str, form_for, renders: int) -> dict:
    """A form sent `renders` times (each with its own data, `form_for(i)`), answered by a
    redirect as a successful post is; server time of the post alone."""
    times = []
    for i in range(renders):
        started = time.perf_counter()
        response = client.post(url, data=form_for(i))
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 302:
            raise SystemExit(f"{name} ({url}) answered {response.status_code}")
    times.sort()
    return {"page": name, "url": url, "bytes": 0, "p50": percentile(times, 50),
            "p95": percentile(times, 95)}


def clerk_posts(client, renders: int) -> list[dict]:
    """Filing a case and requesting an investigator, as the journey does."""
    case_url = first_link(client, "/clerk/cases", r"/clerk/cases/\d+")
    year = time.localtime().tm_year
    return [
        measure_posts(client, "file a case (POST)", "/clerk/cases/new", lambda i: {
            "kind": "civil", "stage": "first_instance", "fields": ["G06F"],
            "number": f"（{year}）沪73知民初{9000 + i}号", "title": "基准测试案件"}, renders),
        measure_posts(client, "request an investigator (POST)", f"{case_url}/requests/new",
                      lambda i: {"role": "investigator", "service": "hearing",
                                 "days-0-start": f"{year + 1}-03-{1 + i % 28:02d}",
                                 "days-0-end": f"{year + 1}-03-{1 + i % 28:02d}"}, renders),
    ]


def expert_posts(client, renders: int) -> list[dict]:
    """Saving unavailable days, one new range each time (ranges may not overlap)."""
    def days(i: int) -> dict:
        start = date(2030, 1, 1) + timedelta(days=3 * i)
        return {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()}
    return [measure_posts(client, "save unavailable days (POST)", "/expert/calendar", days,
                          renders)]


def table(rows: list[dict]) -> str:
    lines = ["| page | path | KB | p50 ms | p95 ms | target p95 < 150 ms |",
             "|---|---|---:|---:|---:|---|"]
    for row in rows:
        verdict = "met" if row["p95"] < TARGET_P95_MS else "**missed**"
        lines.append(f"| {row['page']} | `{row['url']}` | {row['bytes'] / 1024:.1f} | "
                     f"{row['p50']:.1f} | {row['p95']:.1f} | {verdict} |")
    return "\n".join(lines)


def run(name: str, url: str, renders: int) -> None:
    from registry.services.seeding import DEMO_USERS

    app = build_app(url)
    built = build_registry(app, experts=400)
    emails: dict[str, str] = {}
    for email, role, _kwargs, _scope in DEMO_USERS:
        emails.setdefault(role, email)  # the first of each role: the Shanghai IP Court's clerk
    gc.collect()
    gc.freeze()  # as registry.wsgi does in production: the loaded app is never collected
    # No outer app context: each request gets its own, as on a server (a shared one would
    # share the signed-in user in `g` between the two clients).
    clerk = sign_in(app, emails["clerk"])
    expert = sign_in(app, emails["expert"])
    rows = measure(clerk, clerk_pages(clerk), renders) + clerk_posts(clerk, renders) + \
        measure(expert, expert_pages(expert), renders) + expert_posts(expert, renders)
    print(f"\n### {name}: {built['counts'].get('experts', '?')} experts, "
          f"{built['counts'].get('cases', '?')} cases, {renders} renders per page\n")
    print(table(rows))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    for name, url in each_database(args.databases, "bench_pages"):
        run(name, url, args.renders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
