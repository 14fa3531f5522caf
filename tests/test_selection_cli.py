"""`flask selection draw`: an auditor replays a published draw from the pool file, the
targets file and the seed, and gets the same CSV every time; impossible targets end the
command with a message that names them."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from portal.selection.commands import four_decimals

ROOT = Path(__file__).resolve().parent.parent

POOL = """id,neighborhood,language
R1,Roxbury,Spanish
R2,Roxbury,English
D1,Dorchester,English
D2,Dorchester,Spanish
D3,Dorchester,English
M1,Mattapan,Haitian Creole
M2,Mattapan,English
E1,East Boston,Spanish
"""
TARGETS = """category,value,min,max
neighborhood,Roxbury,1,2
neighborhood,Dorchester,1,2
neighborhood,Mattapan,1,1
neighborhood,East Boston,0,1
language,English,1,2
language,Spanish,1,2
language,Haitian Creole,0,1
"""


@pytest.fixture
def files(tmp_path):
    pool, targets = tmp_path / "pool.csv", tmp_path / "targets.csv"
    pool.write_text(POOL, encoding="utf-8")
    targets.write_text(TARGETS, encoding="utf-8")
    return pool, targets


def run_draw(app, pool, targets, seed="City Hall 2026-11-10", seats="4", alternates="2"):
    return app.test_cli_runner().invoke(args=[
        "selection", "draw", "--pool", str(pool), "--targets", str(targets),
        "--seats", seats, "--seed", seed, "--alternates", alternates])


def test_prints_everyone_in_pool_order_with_outcome_rank_and_chance(app, files):
    result = run_draw(app, *files)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.startswith("id,outcome,rank,probability\n")
    assert [row["id"] for row in rows] == ["R1", "R2", "D1", "D2", "D3", "M1", "M2", "E1"]
    outcomes = [row["outcome"] for row in rows]
    assert outcomes.count("selected") == 4 and outcomes.count("alternate") == 2
    assert sorted(row["rank"] for row in rows if row["outcome"] == "alternate") == ["1", "2"]
    assert all(row["rank"] == "" for row in rows if row["outcome"] != "alternate")
    assert all(len(row["probability"].split(".")[1]) == 4 for row in rows)
    # Mattapan takes exactly one seat and has two residents: each has one chance in two.
    chances = {row["id"]: row["probability"] for row in rows}
    assert chances["M1"] == chances["M2"] == "0.5000"
    assert sum(Fraction(row["probability"]) for row in rows) == pytest.approx(4, abs=0.0005)
    assert "Pool fingerprint (SHA-256): " in result.stderr


def test_the_same_files_and_seed_give_the_same_output_and_another_seed_may_not(app, files):
    first = run_draw(app, *files).stdout
    assert run_draw(app, *files).stdout == first
    others = {run_draw(app, *files, seed=f"other {n}").stdout for n in range(8)}
    assert len(others | {first}) > 1


def test_impossible_targets_end_with_a_message_naming_the_value(app, files, tmp_path):
    pool, _ = files
    targets = tmp_path / "impossible.csv"
    targets.write_text(TARGETS.replace("Roxbury,1,2", "Roxbury,3,3"), encoding="utf-8")
    result = run_draw(app, pool, targets)
    assert result.exit_code != 0
    assert "neighborhood=Roxbury needs at least 3; people in the pool with it: 2." \
        in result.stderr
    assert result.stdout == ""


def test_refusal_speaks_the_operators_language(app, files, tmp_path, monkeypatch):
    pool, _ = files
    targets = tmp_path / "impossible.csv"
    targets.write_text(TARGETS.replace("Roxbury,1,2", "Roxbury,3,3"), encoding="utf-8")
    monkeypatch.setenv("LANG", "es_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = run_draw(app, pool, targets)
    assert result.exit_code != 0
    assert "neighborhood=Roxbury" in result.stderr
    assert "needs at least" not in result.stderr


def test_probabilities_are_rounded_exactly_to_four_decimals():
    assert four_decimals(Fraction(1, 3)) == "0.3333"
    assert four_decimals(Fraction(2, 3)) == "0.6667"
    assert four_decimals(Fraction(1)) == "1.0000"
    assert four_decimals(Fraction(0)) == "0.0000"


def test_standard_output_is_only_the_csv(files):
    """Run as an auditor would, in a process of its own: nothing the solver prints may
    land in the CSV."""
    pool, targets = files
    environment = {**os.environ, "PORTAL_ENV": "development", "LANG": "C.UTF-8"}
    environment.pop("LC_ALL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "selection", "draw",
         "--pool", str(pool), "--targets", str(targets), "--seats", "4", "--seed", "7",
         "--alternates", "1"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == "id,outcome,rank,probability"
    assert len(lines) == 9
