"""The last minutes before a call closes: many people send their application at the
same moment, through gunicorn, on PostgreSQL and on SQLite. None may be lost, none
may err.

    python bench/deadline_rush.py                      # 150 people, both databases
    python bench/deadline_rush.py --people 300 --database postgresql

Each person is a browser of their own (cookies, CSRF token): it opens /apply, is led
to the open call's form, fills it in, and waits; when everyone is ready they all
press Send together. Afterwards every reference the server gave out must be in the
database with that person's email, with one confirmation email queued each, and the
call must hold exactly as many applications as were accepted.

It prints p50/p95/max of the send (the POST and its redirect), errors (status 500 or
more, a broken connection, or anything but the confirmation) and the check, and exits
1 on any error or lost application. PostgreSQL comes from BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); a database of its own is made and dropped.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

from load_test import (
    CSRF,
    DEFAULT_SERVER,
    Browser,
    admin_connection,
    database_url,
    free_port,
    percentile,
    portal_environment,
    run_flask,
    start_gunicorn,
)

REFERENCE = re.compile(r'class="reference">([0-9A-Z]{4}-[0-9A-Z]{4})<')
SLUG = "second-group"  # the demo's open call


def application_form(token: str, n: int) -> dict:
    return {
        "csrf_token": token, "name": f"Rush Applicant {n}", "preferred_name": "",
        "email": f"rush.{n}@bench.example.org", "mobile": "", "phone": f"617-555-{n:04d}",
        "mailing_address": "", "preferred_contact": "email", "language": "es",
        "language_other": "", "neighborhood": ("Dorchester", "Roxbury", "South End")[n % 3],
        "meets_conditions": "yes", "statement": "Una noche de crisis en mi familia. " * 20,
        "experience": "", "answers-0": "Más consejeros.", "times": "weekend",
        "meeting_format": "either", "interpretation": "es", "age_band": "", "gender": "",
        "consent": "y", "website": "", "action": "send",
    }


def person(n: int, port: int, ready: threading.Barrier, samples: list, lock: threading.Lock,
           accepted: dict, errors: list) -> None:
    browser = Browser(port, samples, lock)
    try:
        status, _, location = browser.request("open /apply", "GET", "/apply")
        path = location.replace(f"http://127.0.0.1:{port}", "") or f"/apply/{SLUG}"
        status, page, _ = browser.request("form", "GET", path)
        token = CSRF.search(page)
        if status != 200 or token is None:
            errors.append((n, "form", status))
            ready.abort()
            return
        form = application_form(token[1], n)
        try:
            ready.wait(timeout=120)
        except threading.BrokenBarrierError:
            errors.append((n, "someone could not open the form"))
            return
        status, page, location = browser.request("send", "POST", path, form)
        if status != 302:
            errors.append((n, "send", status, re.findall(r"<li>.*?</li>", page)[:3]))
            return
        status, page, _ = browser.request("confirmation", "GET", location.replace(
            f"http://127.0.0.1:{port}", "") or location)
        found = REFERENCE.search(page)
        if status != 200 or found is None:
            errors.append((n, "confirmation", status))
            return
        with lock:
            accepted[found[1]] = form["email"]
    finally:
        browser.close()


def check(rows: list[tuple[str, str]], emails: int, accepted: dict) -> list[str]:
    """What the database holds against what the server said it accepted."""
    stored = dict(rows)
    problems = [f"{ref} accepted but not stored" for ref in accepted if ref not in stored]
    problems += [f"{ref} stored with another email" for ref, email in accepted.items()
                 if ref in stored and stored[ref] != email]
    if len(stored) != len(accepted):
        problems.append(f"{len(stored)} applications stored, {len(accepted)} accepted")
    if emails != len(accepted):
        problems.append(f"{emails} confirmation emails queued for {len(accepted)} applications")
    return problems


STORED = ("SELECT a.reference, a.email FROM applications a JOIN open_calls c "
          f"ON c.id = a.call_id WHERE c.slug = '{SLUG}' AND a.email LIKE 'rush.%'")
EMAILS = "SELECT count(*) FROM outbox_messages WHERE to_address LIKE 'rush.%'"


def rush(label: str, url: str, people: int, workers: int, threads: int, read_rows) -> bool:
    upload = tempfile.mkdtemp(prefix="rush-uploads-")
    env = {**portal_environment(url, upload),
           # Everyone comes from 127.0.0.1 here; a real rush comes from many addresses.
           "APPLICATION_LIMIT_PER_ADDRESS": "100000 per minute"}
    run_flask(env, "db", "upgrade")
    run_flask(env, "seed", "demo")
    port = free_port()
    server = start_gunicorn(env, port, workers, threads)
    samples: list = []
    accepted: dict = {}
    errors: list = []
    lock = threading.Lock()
    ready = threading.Barrier(people)
    try:
        crowd = [threading.Thread(target=person, args=(n, port, ready, samples, lock, accepted,
                                                      errors)) for n in range(people)]
        started = time.monotonic()
        for thread in crowd:
            thread.start()
        for thread in crowd:
            thread.join()
        seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    sends = [s.seconds for s in samples if s.kind == "send"]
    rows, emails = read_rows()
    problems = check(rows, emails, accepted)
    print(f"\n{label}: {people} people, gunicorn {workers} workers x {threads} threads, "
          f"{seconds:.1f} s in all")
    if sends:
        print(f"  send  p50 {percentile(sends, 0.5) * 1000:.0f} ms   "
              f"p95 {percentile(sends, 0.95) * 1000:.0f} ms   max {max(sends) * 1000:.0f} ms")
    print(f"  accepted {len(accepted)}, errors {len(errors)}, lost {len(problems)}")
    for error in errors[:10]:
        print("  error:", error)
    for problem in problems[:10]:
        print("  lost:", problem)
    return not errors and not problems and len(accepted) == people


def on_postgresql(args) -> bool:
    server_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER)
    name = f"portal_rush_{os.getpid()}"
    with admin_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = database_url(server_url, name)
    try:
        def read_rows():
            import psycopg

            with psycopg.connect(url) as connection:
                return (connection.execute(STORED).fetchall(),
                        connection.execute(EMAILS).fetchone()[0])

        return rush("PostgreSQL", url, args.people, args.workers, args.threads, read_rows)
    finally:
        with admin_connection(server_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def on_sqlite(args) -> bool:
    folder = tempfile.mkdtemp(prefix="rush-sqlite-")
    path = Path(folder) / "portal.sqlite3"

    def read_rows():
        with sqlite3.connect(path) as connection:
            return (connection.execute(STORED).fetchall(),
                    connection.execute(EMAILS).fetchone()[0])

    return rush("SQLite", f"sqlite:///{path}", args.people, args.workers, args.threads,
                read_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=150)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database", choices=("both", "postgresql", "sqlite"), default="both")
    args = parser.parse_args()
    results = []
    if args.database in ("both", "postgresql"):
        results.append(on_postgresql(args))
    if args.database in ("both", "sqlite"):
        results.append(on_sqlite(args))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
