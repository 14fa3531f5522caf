"""How the portal holds up at city scale: throughput and latency of the main pages,
page weight, CSV exports and cold start, on SQLite and on PostgreSQL.

    python bench/city_bench.py --quick                      # about a minute, SQLite
    python bench/city_bench.py --scale 1.0 --database both --json city.json

For each database it makes the city data set (`flask seed city`) in a fresh,
migrated database of its own (a SQLite file in a temporary folder, or a
PostgreSQL database `portal_citybench_<pid>` on BENCH_POSTGRES_URL, dropped at
the end), serves the portal with gunicorn, and drives it with concurrent
clients, each signed in with its own session. bench/bare_app.py runs under the
same gunicorn settings as the yardstick. Only the standard library is used to
make requests. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "community-design-demo"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKERS = 2

# Targets printed beside the figures.
MEMBER_SHARE_TARGET = 0.25  # a member page serves at least a quarter of the bare endpoint
MEMBER_P95_TARGET_MS = 50
FINANCE_P95_TARGET_MS = 200
PAGE_WEIGHT_TARGET_KB = 60


@dataclass
class Page:
    label: str
    role: str
    path: str
    member_page: bool = False
    weigh: bool = False


@dataclass
class Result:
    label: str
    path: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def figures(self, bare_per_second: float | None) -> dict:
        return {
            "label": self.label, "path": self.path, "requests": self.requests,
            "errors": self.errors, "requests_per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile(0.50), 1), "p95_ms": round(self.percentile(0.95), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "share_of_bare": round(self.per_second / bare_per_second, 3)
            if bare_per_second else None,
        }


# --- A small HTTP client with its own cookies ------------------------------------------------

class Client:
    """One visitor: a persistent connection (reopened when gunicorn closes it) and a
    cookie jar of its own."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection; open a new one once.
                self.connection.close()
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, data

    def sign_in(self, identifier: str) -> None:
        status, page = self.request("GET", "/sign-in")
        match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"the sign-in form did not load (HTTP {status})")
        body = urlencode({"csrf_token": match.group(1).decode(), "identifier": identifier,
                          "password": PASSWORD})
        status, _ = self.request("POST", "/sign-in", body)
        if status != 302:
            raise RuntimeError(f"signing in as {identifier} gave HTTP {status}, not a redirect")

    def close(self) -> None:
        self.connection.close()


def drive(clients: list[Client], label: str, path: str, seconds: float) -> Result:
    """Every client requests `path` in a loop for `seconds`; latency is per request."""
    for client in clients:  # warm each worker's caches and each connection
        client.request("GET", path)
    result = Result(label, path)
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def loop(client: Client) -> None:
        own, errors = [], 0
        start.wait()
        deadline = time.perf_counter() + seconds
        while True:
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                status, _ = client.request("GET", path)
            except OSError:
                status = 0
            own.append((time.perf_counter() - began) * 1000)
            errors += status != 200
        with lock:
            result.latencies_ms.extend(own)
            result.errors += errors

    threads = [threading.Thread(target=loop, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.requests = len(result.latencies_ms)
    return result


# --- Servers ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the same settings for the portal and the bare app."""

    def __init__(self, app: str, env: dict, chdir: Path):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
                   "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(chdir), "--log-level", "warning", app]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, env=env, cwd=chdir)
        self.cold_start = self._wait_for_first_page()

    def _wait_for_first_page(self) -> float:
        path = "/sign-in" if "wsgi" in " ".join(self.process.args) else "/"
        while time.perf_counter() - self.started < 120:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped before serving a page")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("gunicorn served nothing within two minutes")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- Databases -------------------------------------------------------------------------------

class Database:
    def __init__(self, kind: str, folder: Path):
        self.kind = kind
        self.admin_url = None
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / 'city.sqlite3'}"
            self.name = "sqlite"
        else:
            from sqlalchemy import create_engine, text

            from portal.config import normalise_database_url

            server = normalise_database_url(os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
            self.name = f"portal_citybench_{os.getpid()}"
            self.admin_url = server
            engine = create_engine(server, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            engine.dispose()
            parts = urlsplit(server)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def drop(self) -> None:
        if self.kind != "postgresql":
            return
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()

    def version(self) -> str:
        from sqlalchemy import create_engine, text

        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        engine = create_engine(self.url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version}"


def portal_env(database: Database, folder: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database.url,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "city-bench-" + os.urandom(8).hex(),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Every client signs in from 127.0.0.1; none of them types a wrong password.
        "SIGN_IN_LIMIT_PER_ADDRESS": "10000 per minute",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Sample:
    """Who and what the pages are measured with."""

    program_id: int
    member: str
    meeting_id: int
    document_id: int


def pick_sample(database: Database) -> Sample:
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(database.url))
    now = datetime.now(UTC).replace(tzinfo=None) if database.kind == "sqlite" \
        else datetime.now(UTC)
    with engine.connect() as connection:
        member, program_id = connection.execute(text(
            "SELECT u.email, e.program_id FROM users u JOIN enrollments e ON e.user_id = u.id "
            "WHERE e.status = 'active' AND u.email IS NOT NULL AND u.preferred_language = 'en' "
            "ORDER BY e.program_id, u.id LIMIT 1")).one()
        meeting_id = connection.execute(text(
            "SELECT id FROM meetings WHERE program_id = :p AND starts_at > :now "
            "AND status = 'scheduled' ORDER BY starts_at LIMIT 1"),
            {"p": program_id, "now": now}).scalar() or connection.execute(text(
                "SELECT max(id) FROM meetings WHERE program_id = :p"), {"p": program_id}).scalar()
        document_id = connection.execute(text(
            "SELECT d.id FROM documents d JOIN meetings m ON m.id = d.meeting_id "
            "WHERE d.program_id = :p AND d.status = 'published' AND d.kind = 'agenda' "
            "ORDER BY m.starts_at DESC LIMIT 1"), {"p": program_id}).scalar()
    engine.dispose()
    return Sample(program_id, member, meeting_id, document_id)


def _sqlalchemy_url(url: str) -> str:
    from portal.config import normalise_database_url

    return normalise_database_url(url)


def pages_for(sample: Sample) -> list[Page]:
    return [
        Page("home", "member", "/", member_page=True, weigh=True),
        Page("calendar", "member", "/calendar", member_page=True, weigh=True),
        Page("meeting", "member", f"/meetings/{sample.meeting_id}", member_page=True,
             weigh=True),
        Page("materials", "member", "/materials", member_page=True, weigh=True),
        Page("document", "member", f"/materials/{sample.document_id}", member_page=True,
             weigh=True),
        Page("my stipend", "member", "/stipend", member_page=True, weigh=True),
        Page("finance dashboard", "finance", "/finance", weigh=True),
        Page("meeting roster", "facilitator", f"/meetings/{sample.meeting_id}/roster",
             weigh=True),
        Page("audit log", "admin", "/admin/audit", weigh=True),
    ]


def identifiers(sample: Sample) -> dict[str, str]:
    from portal.city_data import EMAIL_DOMAIN

    return {"member": sample.member, "finance": f"finance1@{EMAIL_DOMAIN}",
            "facilitator": f"facilitator1@{EMAIL_DOMAIN}", "admin": f"admin1@{EMAIL_DOMAIN}"}


def page_weight(client: Client, path: str) -> dict:
    """The page's HTML and every stylesheet and script it links, uncompressed."""
    status, html = client.request("GET", path)
    assets = re.findall(rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html) + \
        re.findall(rb'<script[^>]+src="([^"]+)"', html)
    sizes = {}
    for asset in assets:
        _, body = client.request("GET", asset.decode())
        sizes[asset.decode()] = len(body)
    total = len(html) + sum(sizes.values())
    return {"status": status, "html_kb": round(len(html) / 1024, 1),
            "assets_kb": round(sum(sizes.values()) / 1024, 1), "total_kb": round(total / 1024, 1)}


def timed_download(client: Client, path: str) -> dict:
    began = time.perf_counter()
    status, body = client.request("GET", path)
    seconds = time.perf_counter() - began
    return {"path": path, "status": status, "seconds": round(seconds, 2),
            "rows": max(0, body.count(b"\n") - 1), "kb": round(len(body) / 1024, 1)}


def in_process_app(database: Database, folder: Path):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(database.url),
                       "TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                       "RATELIMIT_ENABLED": False, "UPLOAD_FOLDER": str(folder / "uploads")})


def service_times(app, pages: list[Page], who: dict[str, str], repeats: int = 20) -> dict:
    """Each page asked for one after another in this process, with no HTTP and no
    other request waiting: the time the portal itself spends on it, and how many
    SQL statements it runs."""
    from sqlalchemy import event

    from portal.db import db

    with app.app_context():
        engine = db.engine
    clients, figures = {}, {}
    for page in pages:
        if page.role not in clients:
            clients[page.role] = app.test_client()
            clients[page.role].post("/sign-in", data={"identifier": who[page.role],
                                                      "password": PASSWORD})
        client = clients[page.role]
        client.get(page.path)
        statements = []

        def note(*args, statements=statements):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", note)
        try:
            client.get(page.path)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            client.get(page.path)
            times.append((time.perf_counter() - began) * 1000)
        figures[page.label] = {"median_ms": round(sorted(times)[len(times) // 2], 1),
                               "queries": len(statements)}
    return figures


def export_peaks(app, paths: list[str]) -> dict:
    """Peak Python memory while each CSV streams, measured in this process with
    tracemalloc (the served figures above are the time; this is the memory)."""
    from portal.city_data import EMAIL_DOMAIN

    peaks = {}
    for path, who in paths:
        client = app.test_client()
        client.post("/sign-in", data={"identifier": f"{who}1@{EMAIL_DOMAIN}",
                                      "password": PASSWORD})
        tracemalloc.start()
        response = client.get(path, buffered=False)
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peaks[path] = {"status": response.status_code, "peak_mib": round(peak / 2**20, 2),
                       "kb": round(size / 1024, 1)}
    return peaks


# --- One database, start to end ---------------------------------------------------------------

def run_database(kind: str, options, bare_per_second: float | None) -> dict:
    report: dict = {"database": kind}
    with tempfile.TemporaryDirectory(prefix="citybench-") as name:
        folder = Path(name)
        database = Database(kind, folder)
        server = None
        try:
            env = portal_env(database, folder)
            began = time.perf_counter()
            flask(env, "db", "upgrade")
            report["migrate_seconds"] = round(time.perf_counter() - began, 1)
            began = time.perf_counter()
            output = flask(env, "seed", "city", "--scale", str(options.scale),
                           "--seed", str(options.seed))
            report["build_seconds"] = round(time.perf_counter() - began, 1)
            report["rows"] = {line.split()[0]: int(line.split()[1].replace(",", ""))
                              for line in output.splitlines()
                              if re.fullmatch(r"[a-z_]+ +[\d,]+", line.strip())}
            report["version"] = database.version()
            print(f"\n== {report['version']}: scale {options.scale}, migrated in "
                  f"{report['migrate_seconds']} s, built in {report['build_seconds']} s")
            sample = pick_sample(database)
            server = Server("wsgi:app", env, ROOT)
            report["cold_start_seconds"] = round(server.cold_start, 2)
            print(f"cold start: first page after {server.cold_start:.2f} s")

            who = identifiers(sample)
            pools: dict[str, list[Client]] = {}
            results = []
            for page in pages_for(sample):
                if page.role not in pools:
                    pools[page.role] = []
                    for _ in range(options.clients):
                        client = Client(server.port)
                        client.sign_in(who[page.role])
                        pools[page.role].append(client)
                result = drive(pools[page.role], page.label, page.path, options.seconds)
                results.append((page, result))
                print(f"  {page.label:<18} {result.per_second:7.1f} req/s  "
                      f"p95 {result.percentile(0.95):6.1f} ms  errors {result.errors}")
            report["pages"] = [dict(result.figures(bare_per_second), role=page.role,
                                    member_page=page.member_page) for page, result in results]

            weights = {}
            for page in pages_for(sample):
                if page.weigh:
                    weights[page.label] = page_weight(pools[page.role][0], page.path)
            report["page_weight"] = weights

            exports = [(f"/finance/ledger.csv?program={sample.program_id}", "finance"),
                       ("/admin/audit.csv", "admin")]
            downloads = []
            for path, role in exports:
                downloads.append(dict(timed_download(pools[role][0], path), role=role))
            report["exports"] = downloads
            for pool in pools.values():
                for client in pool:
                    client.close()
            server.stop()
            server = None
            app = in_process_app(database, folder)
            report["service"] = service_times(app, pages_for(sample), who)
            peaks = export_peaks(app, exports)
            for download in report["exports"]:
                download.update(peak_mib=peaks[download["path"]]["peak_mib"])
        finally:
            if server is not None:
                server.stop()
            database.drop()
    return report


def measure_bare(options) -> dict:
    env = dict(os.environ)
    server = Server("bare_app:app", env, ROOT / "bench")
    try:
        clients = [Client(server.port) for _ in range(options.clients)]
        result = drive(clients, "bare endpoint", "/", options.seconds)
        for client in clients:
            client.close()
    finally:
        server.stop()
    print(f"bare endpoint: {result.per_second:.1f} req/s, p95 {result.percentile(0.95):.1f} ms, "
          f"cold start {server.cold_start:.2f} s")
    return dict(result.figures(None), cold_start_seconds=round(server.cold_start, 2))


# --- Printing --------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(run: dict, bare: dict) -> None:
    print(f"\n{run['version']} — {run['rows'].get('rsvps', 0):,} answers, "
          f"{run['rows'].get('payments', 0):,} payments; bare endpoint "
          f"{bare['requests_per_second']} req/s")
    print(f"{'page':<18} {'req/s':>7} {'share':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>6}"
          "  target")
    for page in run["pages"]:
        if page["member_page"]:
            ok = (page["share_of_bare"] or 0) >= MEMBER_SHARE_TARGET \
                and page["p95_ms"] < MEMBER_P95_TARGET_MS
            target = f"share ≥ {MEMBER_SHARE_TARGET}, p95 < {MEMBER_P95_TARGET_MS} ms: " \
                     f"{verdict(ok)}"
        elif page["label"] == "finance dashboard":
            target = f"p95 < {FINANCE_P95_TARGET_MS} ms: " \
                     f"{verdict(page['p95_ms'] < FINANCE_P95_TARGET_MS)}"
        else:
            target = "(staff page, no target)"
        print(f"{page['label']:<18} {page['requests_per_second']:>7} "
              f"{page['share_of_bare']:>6} {page['p50_ms']:>6} {page['p95_ms']:>6} "
              f"{page['p99_ms']:>6} {page['errors']:>6}  {target}")
    print(f"\n{'one request alone':<18} {'ms':>7} {'queries':>8}  (in-process, median of 20)")
    for label, service in run["service"].items():
        print(f"{label:<18} {service['median_ms']:>7} {service['queries']:>8}")
    print(f"\n{'page weight':<18} {'HTML KB':>8} {'CSS+JS KB':>10} {'total KB':>9}  target")
    for label, weight in run["page_weight"].items():
        print(f"{label:<18} {weight['html_kb']:>8} {weight['assets_kb']:>10} "
              f"{weight['total_kb']:>9}  < {PAGE_WEIGHT_TARGET_KB} KB: "
              f"{verdict(weight['total_kb'] < PAGE_WEIGHT_TARGET_KB)}")
    print(f"\n{'CSV export':<40} {'status':>6} {'rows':>8} {'KB':>8} {'seconds':>8} "
          f"{'peak MiB':>9}")
    for export in run["exports"]:
        print(f"{export['path']:<40} {export['status']:>6} {export['rows']:>8} "
              f"{export['kb']:>8} {export['seconds']:>8} {export['peak_mib']:>9}")
    print(f"\ncold start to the first page: {run['cold_start_seconds']} s "
          f"(bare app {bare['cold_start_seconds']} s)")


def machine() -> dict:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+) kB", meminfo.read_text())
        memory = f"{int(found.group(1)) / 2**20:.1f} GiB" if found else memory
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory": memory,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--quick", action="store_true",
                        help="scale 0.02, 2 s per page, 2 clients: about a minute")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args()
    if options.quick:
        options.scale, options.seconds, options.clients = 0.02, 2.0, 2
    kinds = ("sqlite", "postgresql") if options.database == "both" else (options.database,)

    figures = {"machine": machine(), "scale": options.scale, "seconds": options.seconds,
               "clients": options.clients, "workers": WORKERS, "runs": []}
    print(f"{figures['machine']['cpus']} × {figures['machine']['cpu_model']}, "
          f"{figures['machine']['memory']}, Python {figures['machine']['python']}; "
          f"{options.clients} clients, {options.seconds:g} s per page, gunicorn {WORKERS} "
          "sync workers")
    bare = measure_bare(options)
    figures["bare"] = bare
    for kind in kinds:
        run = run_database(kind, options, bare["requests_per_second"])
        figures["runs"].append(run)
        print_report(run, bare)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2, default=str))
        print(f"\nfigures written to {options.json}")


if __name__ == "__main__":
    main()
