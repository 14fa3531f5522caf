"""Peak Python memory while the stipend ledger CSV downloads, at two sizes.

Streaming means the peak stays about the same when the ledger grows ten times.

    python bench/ledger_export_memory.py            # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://user@host/empty_db python bench/ledger_export_memory.py

BENCH_DATABASE_URL must name an empty database made for the benchmark: it is
migrated and filled with invented payments, and left for you to drop.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from portal import create_app  # noqa: E402
from portal.auth.models import Role, RoleGrant, User  # noqa: E402
from portal.db import db, utcnow  # noqa: E402
from portal.programs.models import Enrollment, Program  # noqa: E402
from portal.stipends.models import Payment  # noqa: E402

MEMBERS = 500
SIZES = (5_000, 50_000)


def build(app, payments: int) -> tuple[int, str]:
    """A fresh program with `payments` payments spread over its members."""
    with app.app_context():
        program = Program(name=f"Ledger bench {payments}", timezone="America/New_York",
                          season_start=date(2026, 12, 1), season_end=date(2027, 5, 31),
                          stipend_cents=10_000_000, currency="USD")
        finance = User(name=f"Bench Finance {payments}", email=f"finance{payments}@bench.example",
                       preferred_language="en", role_grants=[RoleGrant(role=Role.FINANCE)])
        finance.set_password("bench-password-123")
        db.session.add_all([program, finance])
        db.session.flush()
        members = [User(name=f"Member {n}", email=f"m{n}.{payments}@bench.example",
                        preferred_language="en") for n in range(MEMBERS)]
        db.session.add_all(members)
        db.session.flush()
        enrollments = [Enrollment(user_id=m.id, program_id=program.id,
                                  stipend_total_cents=10_000_000) for m in members]
        db.session.add_all(enrollments)
        db.session.flush()
        now = utcnow()
        rows = [{"enrollment_id": enrollments[n % MEMBERS].id, "amount_cents": 1_000 + n % 500,
                 "paid_on": date(2026, 12, 1) + timedelta(days=n % 180), "method": "check",
                 "reference": f"Check {n}", "submission_key": f"bench-{payments}-{n}",
                 "recorded_by_id": finance.id, "recorded_at": now} for n in range(payments)]
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(Payment), rows[start:start + 5_000])
        db.session.commit()
        return program.id, finance.email


def download(client, program_id: int) -> int:
    response = client.get(f"/finance/ledger.csv?program={program_id}", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return size


def measure(app, program_id: int, email: str) -> tuple[int, float, int]:
    """Time one download, then download again under tracemalloc for the peak
    (tracing slows Python down, so the two are measured apart)."""
    client = app.test_client()
    client.post("/sign-in", data={"identifier": email, "password": "bench-password-123"})
    started = time.perf_counter()
    size = download(client, program_id)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    download(client, program_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, seconds, size


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        print(f"{'payments':>10} {'seconds':>8} {'rows/s':>9} {'CSV bytes':>11} {'peak MiB':>9}")
        for payments in SIZES:
            program_id, email = build(app, payments)
            peak, seconds, size = measure(app, program_id, email)
            print(f"{payments:>10} {seconds:>8.2f} {payments / seconds:>9.0f} {size:>11} "
                  f"{peak / 2**20:>9.2f}")


if __name__ == "__main__":
    main()
