"""The selection rule: a lottery over panels that meet every target, leximin-fair to every
person in the pool (Flanigan et al., Nature 2021), drawn reproducibly from a seed, with
ranked alternates, refusals that name the target, and fingerprints of its inputs.

The leximin chances are checked against an independent computation: every feasible panel
of a small pool is listed, and the leximin LPs are solved over all of them at once."""

from __future__ import annotations

import ast
import io
import itertools
import math
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import highspy
import pytest

from portal.selection import (
    InvalidSelectionInput,
    Target,
    TargetsCannotBeMet,
    check_targets,
    draw,
    find_lottery,
    fingerprint,
    next_alternate,
    pool_csv,
    read_pool_csv,
    read_targets_csv,
    sample_panel,
    targets_csv,
    write_pool_csv,
    write_targets_csv,
)

ROOT = Path(__file__).resolve().parent.parent


def people(spec: str) -> dict[str, dict[str, str]]:
    """`"p1:area=N,lang=es p2:..."` → a pool."""
    pool = {}
    for entry in spec.split():
        person_id, _, answers = entry.partition(":")
        pool[person_id] = dict(pair.split("=") for pair in answers.split(","))
    return pool


def meets(panel, pool, targets) -> bool:
    counts = Counter()
    for person in panel:
        for category in {t.category for t in targets}:
            counts[category, pool[person][category]] += 1
    return all(t.minimum <= counts[t.category, t.value] <= t.maximum for t in targets)


# A small pool where the two Roxbury residents must both sit: they have chance 1, and the
# four others share the one seat left, 1/4 each.
RARE_POOL = people("r1:area=Roxbury r2:area=Roxbury d1:area=Dorchester d2:area=Dorchester "
                   "d3:area=Dorchester d4:area=Dorchester")
RARE_TARGETS = [Target("area", "Roxbury", 2, 2), Target("area", "Dorchester", 0, 3)]

# Two categories that pull against each other, small enough to list every panel.
MIXED_POOL = people(
    "a:area=N,lang=en b:area=N,lang=en c:area=N,lang=es d:area=S,lang=es "
    "e:area=S,lang=ht f:area=S,lang=en g:area=E,lang=ht h:area=E,lang=en i:area=E,lang=en")
MIXED_TARGETS = [Target("area", "N", 1, 2), Target("area", "S", 1, 2), Target("area", "E", 1, 1),
                 Target("lang", "en", 1, 2), Target("lang", "es", 1, 1),
                 Target("lang", "ht", 1, 2)]

THREE_WAY_POOL = people(
    "p01:g=w,age=young,area=N p02:g=w,age=old,area=N p03:g=m,age=young,area=N "
    "p04:g=m,age=old,area=S p05:g=w,age=young,area=S p06:g=m,age=young,area=S "
    "p07:g=w,age=old,area=S p08:g=m,age=old,area=N p09:g=w,age=young,area=N "
    "p10:g=m,age=young,area=S")
THREE_WAY_TARGETS = [Target("g", "w", 2, 3), Target("g", "m", 1, 2),
                     Target("age", "young", 1, 2), Target("age", "old", 2, 3),
                     Target("area", "N", 2, 2), Target("area", "S", 2, 2)]


def _silent_highs():
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    return solver


def _best_lottery_over(panels, persons, fixed, objective_person=None):
    """max z (or max one person's chance) over lotteries on `panels`, with the others'
    chances at least z and the fixed ones at least their value."""
    solver = _silent_highs()
    inf = highspy.kHighsInf
    solver.addVar(0.0, inf)  # z
    for _ in panels:
        solver.addVar(0.0, inf)
    solver.addRow(1.0, 1.0, len(panels), list(range(1, len(panels) + 1)), [1.0] * len(panels))
    for person in persons:
        columns = [k + 1 for k, panel in enumerate(panels) if person in panel]
        if person in fixed:
            solver.addRow(fixed[person] - 1e-9, inf, len(columns), columns, [1.0] * len(columns))
        elif person == objective_person:
            continue
        else:
            solver.addRow(0.0, inf, len(columns) + 1, [0, *columns],
                          [-1.0] + [1.0] * len(columns))
    if objective_person is None:
        solver.changeColCost(0, 1.0)
    else:
        solver.changeColBounds(0, fixed["__z"], fixed["__z"])
        for k, panel in enumerate(panels):
            solver.changeColCost(k + 1, 1.0 if objective_person in panel else 0.0)
    solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
    solver.run()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return solver.getInfo().objective_function_value


def leximin_by_enumeration(pool, targets, seats) -> dict[str, float]:
    """The leximin chances over ALL feasible panels: raise the smallest chance, then fix
    everyone who cannot go above it (tested person by person), and repeat."""
    persons = sorted(pool)
    panels = [set(panel) for panel in itertools.combinations(persons, seats)
              if meets(panel, pool, targets)]
    fixed: dict[str, float] = {}
    while len(fixed) < len(persons):
        z = _best_lottery_over(panels, persons, fixed)
        stuck = []
        for person in persons:
            if person in fixed:
                continue
            best = _best_lottery_over(panels, persons, {**fixed, "__z": z}, person)
            if best <= z + 1e-7:
                stuck.append(person)
        for person in stuck:
            fixed[person] = z
    return fixed


# --- the lottery ------------------------------------------------------------------------


def test_rare_group_is_seated_for_sure_and_the_rest_share_the_last_seat():
    lottery = find_lottery(RARE_POOL, RARE_TARGETS, 3)
    assert lottery.chances == {"r1": 1, "r2": 1, "d1": Fraction(1, 4), "d2": Fraction(1, 4),
                               "d3": Fraction(1, 4), "d4": Fraction(1, 4)}


@pytest.mark.parametrize(("pool", "targets", "seats"), [
    (MIXED_POOL, MIXED_TARGETS, 4),
    (THREE_WAY_POOL, THREE_WAY_TARGETS, 4),
    (RARE_POOL, RARE_TARGETS, 3),
], ids=["two-categories", "three-categories", "rare-group"])
def test_chances_equal_leximin_over_every_feasible_panel(pool, targets, seats):
    expected = leximin_by_enumeration(pool, targets, seats)
    chances = find_lottery(pool, targets, seats).chances
    # The smallest chance is the maximin optimum, and the whole vector is the leximin one.
    assert min(chances.values()) == pytest.approx(min(expected.values()), abs=1e-6)
    for person in pool:
        assert float(chances[person]) == pytest.approx(expected[person], abs=1e-6), person


def test_maximin_on_the_mixed_pool_is_the_hand_checked_value():
    # Only g, h and i live in E, which takes exactly one seat: each of them can have at most
    # 1/3, and nobody else is as constrained, so the smallest chance is 1/3.
    chances = find_lottery(MIXED_POOL, MIXED_TARGETS, 4).chances
    assert float(min(chances.values())) == pytest.approx(1 / 3, abs=1e-6)


def test_symmetric_pool_gives_everyone_the_same_chance():
    pool = {f"{area}{n}": {"area": area, "lang": lang}
            for area in "NSEW" for n, lang in enumerate(["en", "es", "en"])}
    targets = [Target("area", area, 1, 1) for area in "NSEW"] + [
        Target("lang", "en", 0, 4), Target("lang", "es", 0, 4)]
    chances = find_lottery(pool, targets, 4).chances
    # Panel chances are whole billionths, so 1/3 is met to within a few billionths.
    assert max(abs(chance - Fraction(1, 3)) for chance in chances.values()) < 1e-7
    assert {f"{float(chance):.4f}" for chance in chances.values()} == {"0.3333"}


def test_chances_add_up_to_the_seats_exactly():
    for pool, targets, seats in [(MIXED_POOL, MIXED_TARGETS, 4),
                                 (THREE_WAY_POOL, THREE_WAY_TARGETS, 4)]:
        assert sum(find_lottery(pool, targets, seats).chances.values()) == seats


def test_people_no_panel_can_hold_have_chance_zero():
    pool = people("a:lang=en b:lang=en c:lang=es d:lang=fr")
    targets = [Target("lang", "en", 1, 2), Target("lang", "es", 0, 1),
               Target("lang", "fr", 0, 0)]
    chances = find_lottery(pool, targets, 2).chances
    assert chances["d"] == 0
    assert [float(chances[p]) for p in "abc"] == pytest.approx([2 / 3] * 3, abs=1e-7)


# --- drawing the panel ------------------------------------------------------------------


def test_every_sampled_panel_meets_the_targets_and_frequencies_match_the_chances():
    lottery = find_lottery(THREE_WAY_POOL, THREE_WAY_TARGETS, 4)
    draws = 2000
    seen = Counter()
    for number in range(draws):
        panel = sample_panel(lottery, f"seed-{number}")
        assert len(panel) == 4 and len(set(panel)) == 4
        assert meets(panel, THREE_WAY_POOL, THREE_WAY_TARGETS), panel
        seen.update(panel)
    for person, chance in lottery.chances.items():
        p = float(chance)
        spread = math.sqrt(p * (1 - p) / draws)
        # Five standard deviations: a correct lottery fails this about once in 3 million.
        assert abs(seen[person] / draws - p) <= 5 * spread + 1e-9, (person, p, seen[person])


def test_the_same_seed_gives_the_same_draw_and_other_seeds_other_panels():
    first = draw(MIXED_POOL, MIXED_TARGETS, 4, 3, "2026-11-10 City Hall")
    again = draw(dict(reversed(list(MIXED_POOL.items()))), list(reversed(MIXED_TARGETS)), 4, 3,
                 "2026-11-10 City Hall")
    assert (set(first.panel), first.alternates) == (set(again.panel), again.alternates)
    assert first.pool_fingerprint == again.pool_fingerprint
    assert first.targets_fingerprint == again.targets_fingerprint
    panels = {frozenset(sample_panel(first.lottery, str(seed))) for seed in range(20)}
    assert len(panels) > 1


def test_seed_is_read_as_text():
    lottery = find_lottery(MIXED_POOL, MIXED_TARGETS, 4)
    rng = random.Random("7")
    # The documented rule, replayed by hand: one ticket picks the composition...
    ticket = rng.randrange(10**9)
    index = 0
    while ticket >= lottery.weights[index]:
        ticket -= lottery.weights[index]
        index += 1
    # ...then each profile's seats go to members drawn in profile order.
    by_hand = []
    for members, count in zip(lottery.members, lottery.compositions[index], strict=True):
        if count:
            by_hand += rng.sample(members, count)
    assert sample_panel(lottery, 7) == sample_panel(lottery, "7") == tuple(sorted(by_hand))


# --- alternates -------------------------------------------------------------------------


def test_alternates_are_ranked_off_the_panel_and_each_could_replace_someone():
    result = draw(THREE_WAY_POOL, THREE_WAY_TARGETS, 4, 3, "alternates")
    assert len(result.alternates) == 3
    assert not set(result.alternates) & set(result.panel)
    assert [result.outcome(a) for a in result.alternates] == [
        ("alternate", 1), ("alternate", 2), ("alternate", 3)]
    for alternate in result.alternates:
        assert any(meets([*(set(result.panel) - {seated}), alternate], THREE_WAY_POOL,
                         THREE_WAY_TARGETS) for seated in result.panel)


def test_next_alternate_skips_one_whose_swap_would_break_a_target():
    pool = people("s1:area=N,lang=es s2:area=S,lang=en s3:area=S,lang=en "
                  "x1:area=N,lang=en x2:area=N,lang=es x3:area=S,lang=es")
    targets = [Target("area", "N", 1, 1), Target("area", "S", 2, 2),
               Target("lang", "es", 1, 1), Target("lang", "en", 2, 2)]
    panel = ["s1", "s2", "s3"]
    replacement = next_alternate(panel, "s1", ["x1", "x3", "x2"], pool, targets)
    assert replacement.alternate == "x2"  # x1 loses the Spanish speaker, x3 moves a seat to S
    assert replacement.keeps_every_target
    assert set(replacement.targets_met) == set(targets)
    new_panel = ["x2", "s2", "s3"]
    assert meets(new_panel, pool, targets)


def test_next_alternate_when_no_one_fits_keeps_as_many_targets_as_it_can():
    pool = people("s1:area=N s2:area=S x1:area=S x2:area=S")
    targets = [Target("area", "N", 1, 1), Target("area", "S", 1, 2)]
    replacement = next_alternate(["s1", "s2"], "s1", ["x1", "x2"], pool, targets)
    assert replacement.alternate == "x1"
    assert not replacement.keeps_every_target
    assert replacement.targets_missed == (Target("area", "N", 1, 1),)


def test_next_alternate_only_asks_for_targets_the_panel_still_meets():
    # After an earlier decline the panel already lacks a Spanish speaker; the next
    # replacement is judged on the targets that still hold.
    pool = people("s1:lang=en s2:lang=en x1:lang=en")
    targets = [Target("lang", "en", 0, 2), Target("lang", "es", 1, 1)]
    replacement = next_alternate(["s1", "s2"], "s1", ["x1"], pool, targets)
    assert replacement.alternate == "x1" and replacement.keeps_every_target
    assert replacement.targets_met == (Target("lang", "en", 0, 2),)


# --- impossible targets -----------------------------------------------------------------


@pytest.mark.parametrize(("targets", "seats", "message"), [
    ([Target("area", "Roxbury", 3, 3), Target("area", "Dorchester", 0, 4)], 3,
     "area=Roxbury needs at least 3; people in the pool with it: 2."),
    ([Target("area", "Roxbury", 2, 2), Target("area", "Dorchester", 2, 4)], 3,
     "The minimums for area add up to 4; seats: 3."),
    ([Target("area", "Roxbury", 0, 1), Target("area", "Dorchester", 0, 1)], 3,
     "The maximums for area, given who is in the pool, fill at most 2; seats: 3."),
    ([Target("area", "Roxbury", 2, 1), Target("area", "Dorchester", 0, 4)], 3,
     "area=Roxbury asks for at least 2 but at most 1."),
    ([Target("area", "Roxbury", 0, 2), Target("area", "Dorchester", 4, 4)], 3,
     "area=Dorchester needs at least 4; seats: 3."),
    ([Target("area", "Roxbury", 0, 2), Target("area", "Dorchester", 0, 4)], 7,
     "There are more seats (7) than people in the pool (6)."),
])
def test_impossible_targets_are_refused_by_name(targets, seats, message):
    with pytest.raises(TargetsCannotBeMet) as refusal:
        draw(RARE_POOL, targets, seats, 0, "seed")
    assert str(refusal.value) == message


def test_targets_that_clash_across_categories_name_the_categories():
    # Both Roxbury residents speak Spanish: two seats for Roxbury but one for Spanish.
    pool = people("r1:area=Roxbury,lang=es r2:area=Roxbury,lang=es d1:area=Dorchester,lang=en "
                  "d2:area=Dorchester,lang=es d3:area=Dorchester,lang=en")
    targets = [Target("area", "Roxbury", 2, 2), Target("area", "Dorchester", 0, 3),
               Target("lang", "es", 0, 1), Target("lang", "en", 0, 3),
               Target("zone", "one", 0, 3)]
    pool = {person: {**answers, "zone": "one"} for person, answers in pool.items()}
    with pytest.raises(TargetsCannotBeMet) as refusal:
        check_targets(pool, targets, 3)
    assert str(refusal.value) == ("The targets for area, lang cannot all be met together by "
                                  "any panel of 3 from this pool.")
    assert refusal.value.params["categories"] == "area, lang"


def test_a_value_without_a_target_row_is_refused():
    with pytest.raises(InvalidSelectionInput, match="Mattapan"):
        find_lottery({**RARE_POOL, "m1": {"area": "Mattapan"}}, RARE_TARGETS, 3)


# --- files and fingerprints -------------------------------------------------------------


def test_canonical_files_round_trip_and_fingerprint_what_sha256sum_would():
    shuffled = ("\ufeffid, lang ,area\r\n"
                "b,en,N\r\n"
                "a,es,S\r\n")
    pool = read_pool_csv(shuffled)
    assert list(pool) == ["b", "a"]
    canonical = pool_csv(pool)
    assert canonical == "id,area,lang\na,S,es\nb,N,en\n"
    assert read_pool_csv(canonical) == pool
    handle = io.StringIO()
    write_pool_csv(pool, handle)
    assert handle.getvalue() == canonical

    targets = read_targets_csv("category,value,min,max\nlang,es,0,1\narea,\"S, south\",1,2\n")
    assert targets_csv(targets) == 'category,value,min,max\narea,"S, south",1,2\nlang,es,0,1\n'
    handle = io.StringIO()
    write_targets_csv(targets, handle)
    assert read_targets_csv(handle.getvalue()) == sorted(targets)

    import hashlib

    assert fingerprint(canonical) == hashlib.sha256(canonical.encode()).hexdigest()
    result = draw({"a": {"area": "S"}, "b": {"area": "N"}},
                  [Target("area", "S", 0, 1), Target("area", "N", 0, 1)], 1, 0, "s")
    assert result.pool_fingerprint == fingerprint("id,area\na,S\nb,N\n")


@pytest.mark.parametrize(("text", "words"), [
    ("name,area\na,N\n", "first column is id"),
    ("id,area\na,N\na,S\n", "Line 3"),
    ("id,area\na,\n", "a has no value for area"),
    ("id,area\na,N,extra\n", "Line 2"),
])
def test_malformed_pool_files_are_refused(text, words):
    with pytest.raises(InvalidSelectionInput, match=words):
        read_pool_csv(text)


def test_malformed_targets_are_refused():
    with pytest.raises(InvalidSelectionInput, match="Line 2"):
        read_targets_csv("category,value,min,max\narea,N,one,2\n")
    with pytest.raises(InvalidSelectionInput, match="header"):
        read_targets_csv("category,value,minimum,maximum\n")


def test_the_rule_imports_no_web_framework_and_no_database():
    for name in ("lottery.py", "inputs.py"):
        tree = ast.parse((ROOT / "portal" / "selection" / name).read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"flask", "flask_babel", "sqlalchemy", "werkzeug", "click"}
