"""Many people at once against the portal under gunicorn on PostgreSQL, then a check
that every change the server accepted is in the database.

    python bench/load_test.py                       # 60 s, 16 clients, 4 workers
    python bench/load_test.py --seconds 15 --clients 8
    python bench/load_test.py --kill-connections-at 20

It creates its own database `portal_load_<pid>` on the server named by
BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
migrates it, loads the demo data plus one member or finance officer per client,
serves it with gunicorn on 127.0.0.1, and drops the database at the end.

Members read the calendar, answer meetings (in person, online, not coming),
read materials and open My stipend; finance officers record payments through
the two-step form. Every client signs in with its own session, through the
sign-in page and its CSRF token, as production runs.

It prints requests, errors (status 500 or more, or a broken connection) and
p50/p95/p99 response times per kind of request, then checks the database:
each member's last accepted answer per meeting, each accepted payment by its
submission key and reference, no stipend paid past its total and no meeting
over its in-person seats. It exits 1 on any error or lost write.

--kill-connections-at N ends every server connection of the database after
N seconds (what a database restart looks like to the portal's connection
pool) and reports how many requests failed around that moment; errors in
the five seconds after it are reported but do not fail the run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
KILL_WINDOW_SECONDS = 5.0
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
MEETING_LINK = re.compile(r'href="/meetings/(\d+)"')
MATERIAL_LINK = re.compile(r'href="/materials/(\d+)"')
LEDGER_LINK = re.compile(r'href="/finance/members/(\d+)"')
ANSWER_CHOICE = re.compile(r'<input[^>]*name="response"[^>]*value="([a-z_]+)"')
TOO_MUCH = "left to pay"
PAID_IN_FULL = "already paid in full"


# Setting up ------------------------------------------------------------------------------

def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


def admin_connection(server_url: str) -> psycopg.Connection:
    return psycopg.connect(server_url, autocommit=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def portal_environment(url: str, upload_folder: str) -> dict:
    return {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "UPLOAD_FOLDER": upload_folder,
        # Plain HTTP on 127.0.0.1; mail stays in the outbox (nothing sends it here).
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "console",
        "RECENT_SIGN_IN_MINUTES": "600",
    }


def run_flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def add_people(url: str, members: int, officers: int) -> tuple[list[str], list[str]]:
    """One member or finance officer per client, so each writes only its own answers."""
    from sqlalchemy import select

    from portal import create_app
    from portal.auth.models import Role, RoleGrant, User
    from portal.db import db
    from portal.demo import DEMO_PASSWORD, PROGRAM_NAME
    from portal.programs.models import Program
    from portal.programs.services import enroll

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "setting-up-only"})
    member_emails = [f"load.member.{n}@bench.example.org" for n in range(members)]
    officer_emails = [f"load.finance.{n}@bench.example.org" for n in range(officers)]
    with app.app_context():
        program = db.session.scalars(select(Program).where(Program.name == PROGRAM_NAME)).one()
        first = User(name="Hash source")
        first.set_password(DEMO_PASSWORD)  # scrypt once; every bench person shares it
        for emails, role in ((member_emails, Role.MEMBER), (officer_emails, Role.FINANCE)):
            for n, email in enumerate(emails):
                user = User(name=f"Load {role.value} {n}", email=email,
                            password_hash=first.password_hash,
                            role_grants=[RoleGrant(role=role)])
                db.session.add(user)
                db.session.flush()
                if role == Role.MEMBER:
                    enroll(user, program)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return member_emails, officer_emails


def start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
         "--log-level", "warning", "--timeout", "60"],
        cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn stopped before it served anything") from None
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start listening")


# One client -------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str
    started: float
    seconds: float
    status: int  # 0 for a broken connection


@dataclass
class Accepted:
    """What the server said it saved, for the check afterwards."""

    answers: dict = field(default_factory=dict)  # (email, meeting id) -> response
    payments: list = field(default_factory=list)  # (submission key, enrollment, cents, ref)
    refused_payments: int = 0
    seats_taken_messages: int = 0


class Browser:
    """One person's session: cookies, CSRF tokens, one keep-alive connection."""

    def __init__(self, port: int, samples: list, lock: threading.Lock):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.samples = samples
        self.lock = lock
        self.connection: http.client.HTTPConnection | None = None

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        body = urlencode(form) if form is not None else None
        headers = {"Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        status, text, location = 0, "", ""
        for fresh in (self.connection is None, True):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                 timeout=60)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                status = response.status
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = header.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                location = response.getheader("Location", "")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle kept-alive connection before reading this
                # request; a browser sends it again on a new one, and so does this.
                self.close()
                if fresh:
                    break
            except (OSError, http.client.HTTPException):
                self.close()
                break
        with self.lock:
            self.samples.append(Sample(kind, started, time.monotonic() - started, status))
        return status, text, location

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def sign_in(self, email: str, password: str) -> bool:
        status, page, _ = self.request("sign-in page", "GET", "/sign-in")
        token = CSRF.search(page)
        if status != 200 or token is None:
            return False
        status, _, _ = self.request("sign in", "POST", "/sign-in", {
            "csrf_token": token[1], "identifier": email, "password": password})
        return status == 302


def field_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if tag is None:
        return ""
    value = re.search(r'value="([^"]*)"', tag[0])
    return value[1] if value else ""


def member_loop(browser: Browser, email: str, stop: float, accepted: Accepted,
                lock: threading.Lock, rng: random.Random) -> None:
    meetings: list[str] = []
    materials: list[str] = []
    while time.monotonic() < stop:
        action = rng.random()
        if action < 0.25 or not meetings:
            status, page, _ = browser.request("calendar", "GET", "/calendar")
            if status == 200:
                meetings = sorted(set(MEETING_LINK.findall(page)))
        elif action < 0.55:
            meeting_id = rng.choice(meetings)
            status, page, _ = browser.request("meeting", "GET", f"/meetings/{meeting_id}")
            choices = ANSWER_CHOICE.findall(page)
            token = CSRF.search(page)
            if status != 200 or not choices or token is None:
                continue  # past, cancelled or closed: nothing to answer
            answer = rng.choice(choices)
            status, page, _ = browser.request("answer", "POST", f"/meetings/{meeting_id}", {
                "csrf_token": token[1], "response": answer, "interpretation_language": "",
                "childcare_children": str(rng.randint(0, 2)), "access_needs": ""})
            if status == 302:
                with lock:
                    accepted.answers[(email, int(meeting_id))] = answer
            elif status == 200 and "seat was just taken" in page:
                with lock:
                    accepted.seats_taken_messages += 1
        elif action < 0.75:
            if not materials or rng.random() < 0.3:
                status, page, _ = browser.request("materials", "GET", "/materials")
                materials = sorted(set(MATERIAL_LINK.findall(page))) if status == 200 else []
            if materials:
                browser.request("document", "GET", f"/materials/{rng.choice(materials)}")
        else:
            browser.request("my stipend", "GET", "/stipend")


def finance_loop(browser: Browser, stop: float, accepted: Accepted, lock: threading.Lock,
                 rng: random.Random, name: str) -> None:
    ledgers: list[str] = []
    number = 0
    while time.monotonic() < stop:
        if not ledgers or rng.random() < 0.1:
            status, page, _ = browser.request("finance overview", "GET", "/finance")
            ledgers = sorted(set(LEDGER_LINK.findall(page))) if status == 200 else []
            if not ledgers:
                continue
        enrollment_id = rng.choice(ledgers)
        path = f"/finance/members/{enrollment_id}/payments/new"
        if rng.random() < 0.3:
            browser.request("ledger", "GET", f"/finance/members/{enrollment_id}")
            continue
        status, page, _ = browser.request("payment form", "GET", path)
        token = CSRF.search(page)
        if status != 200 or token is None:
            continue
        number += 1
        reference = f"{name}-{number}"
        form = {"csrf_token": token[1], "submission_key": field_value(page, "submission_key"),
                "amount": str(rng.choice([25, 100, 200, 300])),
                "paid_on": field_value(page, "paid_on"), "method": "check",
                "reference": reference, "note": ""}
        status, page, _ = browser.request("payment review", "POST", path,
                                          {**form, "step": "review"})
        if status != 200 or "Record this payment" not in page:
            if TOO_MUCH in page or PAID_IN_FULL in page:
                with lock:
                    accepted.refused_payments += 1
            continue
        confirm = {**form, "csrf_token": CSRF.search(page)[1], "step": "record"}
        status, page, _ = browser.request("payment record", "POST", path, confirm)
        if status == 302:
            with lock:
                accepted.payments.append((form["submission_key"], int(enrollment_id),
                                          int(form["amount"]) * 100, reference))
            if rng.random() < 0.1:  # a double click: must not pay twice
                browser.request("payment record", "POST", path, confirm)
        elif TOO_MUCH in page or PAID_IN_FULL in page:
            with lock:
                accepted.refused_payments += 1


# Figures and checks ---------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(samples: list[Sample], seconds: float) -> None:
    by_kind = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    print(f"{'request':<18} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8}")
    for kind, items in sorted(by_kind.items()) + [("all", samples)]:
        times = [s.seconds * 1000 for s in items]
        errors = sum(1 for s in items if s.status == 0 or s.status >= 500)
        print(f"{kind:<18} {len(items):>7} {errors:>6} {percentile(times, 0.5):>8.1f} "
              f"{percentile(times, 0.95):>8.1f} {percentile(times, 0.99):>8.1f}")
    print(f"throughput: {len(samples) / seconds:.1f} requests/s over {seconds:.1f} s")


def check_database(url: str, accepted: Accepted) -> list[str]:
    """Every accepted write is there; no stipend overpaid; no meeting over its seats."""
    problems = []
    with psycopg.connect(url) as connection:
        answers = dict(((email, meeting_id), response) for email, meeting_id, response in
                       connection.execute(
                           "SELECT u.email, r.meeting_id, r.response FROM rsvps r "
                           "JOIN users u ON u.id = r.user_id"))
        for key, expected in accepted.answers.items():
            found = answers.get(key)
            # A waitlisted answer may since have become a seat, or been one at once.
            allowed = {"waitlisted", "in_person"} if expected == "waitlisted" else {expected}
            if found not in allowed:
                problems.append(f"answer of {key[0]} for meeting {key[1]}: "
                                f"accepted {expected}, stored {found}")
        stored = {key: (enrollment, cents, reference) for key, enrollment, cents, reference in
                  connection.execute("SELECT submission_key, enrollment_id, amount_cents, "
                                     "reference FROM payments")}
        for key, enrollment, cents, reference in accepted.payments:
            if stored.get(key) != (enrollment, cents, reference):
                problems.append(f"payment {reference}: accepted, stored {stored.get(key)}")
        ours = {reference for _, _, _, reference in accepted.payments}
        recorded = Counter(reference for (reference,) in connection.execute(
            "SELECT reference FROM payments") if reference in ours)
        problems += [f"payment {ref} recorded {n} times" for ref, n in recorded.items() if n > 1]
        for enrollment, paid, total in connection.execute(
                "SELECT e.id, coalesce(sum(p.amount_cents), 0), e.stipend_total_cents "
                "FROM enrollments e LEFT JOIN payments p ON p.enrollment_id = e.id "
                "AND p.voided_at IS NULL GROUP BY e.id, e.stipend_total_cents"):
            if paid > total:
                problems.append(f"enrollment {enrollment} paid {paid} of {total} cents")
        for meeting, taken, capacity in connection.execute(
                "SELECT m.id, count(r.id), m.capacity FROM meetings m JOIN rsvps r "
                "ON r.meeting_id = m.id AND r.response = 'in_person' "
                "WHERE m.capacity IS NOT NULL GROUP BY m.id, m.capacity"):
            if taken > capacity:
                problems.append(f"meeting {meeting} has {taken} people in {capacity} seats")
    return problems


def kill_connections(url: str, at: float, done: list) -> None:
    time.sleep(max(0.0, at - time.monotonic()))
    with psycopg.connect(url, autocommit=True) as connection:
        killed = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    done.append((time.monotonic(), killed))


# The run ----------------------------------------------------------------------------------

def drive(port: int, args, member_emails: list[str], officer_emails: list[str],
          url: str) -> tuple[list[Sample], Accepted, float, list]:
    from portal.demo import DEMO_PASSWORD

    samples: list[Sample] = []
    accepted = Accepted()
    lock = threading.Lock()
    browsers = []
    for email in member_emails + officer_emails:
        browser = Browser(port, samples, lock)
        if not browser.sign_in(email, DEMO_PASSWORD):
            raise SystemExit(f"could not sign in as {email}")
        browser.close()  # each starts the run on a new connection
        browsers.append((browser, email))
    samples.clear()  # sign-ins are set-up, not part of the mix

    started = time.monotonic()
    stop = started + args.seconds
    kills: list = []
    threads = []
    for n, (browser, email) in enumerate(browsers):
        rng = random.Random(n)
        if email in officer_emails:
            target = finance_loop
            arguments = (browser, stop, accepted, lock, rng, f"L{os.getpid()}-{n}")
        else:
            target = member_loop
            arguments = (browser, email, stop, accepted, lock, rng)
        threads.append(threading.Thread(target=target, args=arguments))
    if args.kill_connections_at is not None:
        threads.append(threading.Thread(target=kill_connections,
                                        args=(url, started + args.kill_connections_at, kills)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for browser, _ in browsers:
        browser.close()
    for sample in samples:
        sample.started -= started
    kills = [(moment - started, killed) for moment, killed in kills]
    return samples, accepted, time.monotonic() - started, kills


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--kill-connections-at", type=float, default=None, metavar="N",
                        help="end every database connection N seconds into the run")
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER)
    name = f"portal_load_{os.getpid()}"
    url = database_url(server_url, name)
    officers = max(1, args.clients // 4)
    members = max(1, args.clients - officers)
    with admin_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        with tempfile.TemporaryDirectory() as uploads:
            env = portal_environment(url, uploads)
            run_flask(env, "db", "upgrade")
            run_flask(env, "seed", "demo")
            member_emails, officer_emails = add_people(url, members, officers)
            port = free_port()
            server = start_gunicorn(env, port, args.workers, args.threads)
            print(f"{members} members and {officers} finance officers, {args.workers} "
                  f"gunicorn workers x {args.threads} threads, {args.seconds:g} s, "
                  f"database {name}")
            samples, accepted, seconds, kills = drive(port, args, member_emails,
                                                      officer_emails, url)
            server.terminate()
            server.wait(timeout=30)
            server = None
            report(samples, seconds)
            print(f"accepted: {len(accepted.answers)} final answers, "
                  f"{len(accepted.payments)} payments; refused past the stipend: "
                  f"{accepted.refused_payments}; told a seat was just taken: "
                  f"{accepted.seats_taken_messages}")
            failed = [s for s in samples if s.status == 0 or s.status >= 500]
            counted = failed
            for moment, killed in kills:
                around = [s for s in failed
                          if moment - 1 <= s.started + s.seconds <= moment + KILL_WINDOW_SECONDS]
                print(f"ended {killed} database connections at {moment:.1f} s; "
                      f"{len(around)} requests failed in the {KILL_WINDOW_SECONDS:g} s after")
                counted = [s for s in counted if s not in around]
            problems = check_database(url, accepted)
            for problem in problems:
                print("LOST OR WRONG:", problem)
            if counted:
                print(f"FAILED: {len(counted)} requests ended in an error")
            return 1 if problems or counted else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin_connection(server_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
