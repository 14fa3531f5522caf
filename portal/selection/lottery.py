"""The selection rule: a stratified lottery that meets every target and is as fair as it can be.

It follows Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for
selecting citizens' assemblies", Nature 596 (2021): among all lotteries over
panels that meet the targets, take the one whose selection chances are
*leximin*-optimal — the smallest chance anyone in the pool has is as large as
possible, then the second smallest, and so on. docs/selection.md says how to
check it; this module imports no web framework and no database.

People whose answers to every targeted category are the same are interchangeable
for the targets, and the leximin chances of interchangeable people are equal
(the optimum is unique and swapping them maps lotteries onto lotteries). So the
linear programs work on *profiles* (one per distinct set of answers): a panel is
how many people of each profile it takes, and a person's chance is the expected
number taken from their profile divided by the profile's size. The members of a
profile are then drawn uniformly, which gives each of them exactly that chance.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import highspy
import numpy as np
from highspy import _core

from portal.selection.inputs import (
    N_,
    InvalidSelectionInput,
    Target,
    TargetsCannotBeMet,
    fingerprint,
    pool_csv,
    targets_csv,
)

# The lottery's panel chances are whole multiples of 1/PRECISION, so the sample drawn
# from a seed depends on integers only, never on how floating point rounds.
PRECISION = 10**9
# How far a linear-program value may be off and still count as equal.
TOLERANCE = 1e-7
INFINITY = highspy.kHighsInf
# A person's profile: their value for each targeted category, in category order.
Profile = tuple[str, ...]
# A panel as the number of people taken from each profile, in profile order.
Composition = tuple[int, ...]


@dataclass(frozen=True)
class Lottery:
    """The leximin lottery: panels (as compositions over profiles) with their chances.

    `weights[k]` is panel k's chance in units of 1/PRECISION; they add up to PRECISION.
    `chances` is each person's exact chance of selection under exactly these panels.
    """

    seats: int
    categories: tuple[str, ...]
    profiles: tuple[Profile, ...]
    members: tuple[tuple[str, ...], ...]
    compositions: tuple[Composition, ...]
    weights: tuple[int, ...]
    chances: Mapping[str, Fraction]
    panels_generated: int
    leximin_rounds: int


@dataclass(frozen=True)
class Draw:
    """One published draw: the panel, the ranked alternates, everyone's chance, and what
    it was drawn from."""

    panel: tuple[str, ...]
    alternates: tuple[str, ...]
    chances: Mapping[str, Fraction]
    seed: str
    seats: int
    pool_fingerprint: str
    targets_fingerprint: str
    lottery: Lottery

    def outcome(self, person_id: str) -> tuple[str, int | None]:
        """`selected`, `alternate` (with its rank, from 1) or `not_selected`."""
        if person_id in self._panel_set:
            return "selected", None
        rank = self._alternate_rank.get(person_id)
        return ("alternate", rank) if rank else ("not_selected", None)

    @property
    def _panel_set(self) -> frozenset[str]:
        return frozenset(self.panel)

    @property
    def _alternate_rank(self) -> dict[str, int]:
        return {person: rank for rank, person in enumerate(self.alternates, start=1)}


@dataclass(frozen=True)
class Replacement:
    """Who takes a declined seat, and which targets the panel then meets."""

    alternate: str | None
    keeps_every_target: bool
    targets_met: tuple[Target, ...]
    targets_missed: tuple[Target, ...]


# --- checking the input and the targets -------------------------------------------------


def _check_input(pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target],
                 seats: int) -> tuple[str, ...]:
    """The targeted categories, sorted, once the pool and targets are known to fit together."""
    if seats < 1:
        raise InvalidSelectionInput(N_("The number of seats must be at least 1."))
    if not pool:
        raise InvalidSelectionInput(N_("The pool is empty."))
    if not targets:
        raise InvalidSelectionInput(N_("There are no targets."))
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if (target.category, target.value) in seen:
            raise InvalidSelectionInput(
                N_("The targets list %(category)s=%(value)s twice."),
                category=target.category, value=target.value)
        seen.add((target.category, target.value))
        if target.minimum < 0 or target.maximum < 0:
            raise InvalidSelectionInput(
                N_("The target for %(category)s=%(value)s has a negative number."),
                category=target.category, value=target.value)
    categories = tuple(sorted({target.category for target in targets}))
    listed = {category: {t.value for t in targets if t.category == category}
              for category in categories}
    for person_id, answers in pool.items():
        for category in categories:
            value = answers.get(category)
            if value is None:
                raise InvalidSelectionInput(
                    N_("The pool has no column %(category)s, which the targets use."),
                    category=category)
            if value not in listed[category]:
                raise InvalidSelectionInput(
                    N_("%(id)s has %(category)s=%(value)s, but the targets give no row "
                       "for that value."), id=person_id, category=category, value=value)
    return categories


def check_targets(pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target],
                  seats: int) -> None:
    """Refuse, naming the target or category, when no panel of `seats` from `pool` meets
    every target. Returns quietly when a panel exists."""
    categories = _check_input(pool, targets, seats)
    if seats > len(pool):
        raise TargetsCannotBeMet(
            N_("There are more seats (%(seats)d) than people in the pool (%(people)d)."),
            seats=seats, people=len(pool))
    having = Counter((category, answers[category])
                     for answers in pool.values() for category in categories)
    for target in sorted(targets):
        params = {"target": target.label, "minimum": target.minimum,
                  "maximum": target.maximum, "seats": seats,
                  "available": having[target.category, target.value]}
        if target.minimum > target.maximum:
            raise TargetsCannotBeMet(
                N_("%(target)s asks for at least %(minimum)d but at most %(maximum)d."),
                **params)
        if target.minimum > seats:
            raise TargetsCannotBeMet(
                N_("%(target)s needs at least %(minimum)d; seats: %(seats)d."), **params)
        if target.minimum > params["available"]:
            raise TargetsCannotBeMet(
                N_("%(target)s needs at least %(minimum)d; people in the pool with it: "
                   "%(available)d."), **params)
    for category in categories:
        rows = [t for t in targets if t.category == category]
        minimums = sum(t.minimum for t in rows)
        if minimums > seats:
            raise TargetsCannotBeMet(
                N_("The minimums for %(category)s add up to %(total)d; seats: %(seats)d."),
                category=category, total=minimums, seats=seats)
        room = sum(min(t.maximum, having[category, t.value]) for t in rows)
        if room < seats:
            raise TargetsCannotBeMet(
                N_("The maximums for %(category)s, given who is in the pool, fill at most "
                   "%(total)d; seats: %(seats)d."),
                category=category, total=room, seats=seats)
    space = _Space(pool, targets, seats, categories)
    if space.some_panel(space.categories) is None:
        conflict = space.conflicting_categories()
        raise TargetsCannotBeMet(
            N_("The targets for %(categories)s cannot all be met together by any panel of "
               "%(seats)d from this pool."),
            categories=", ".join(conflict), seats=seats)


# --- the linear programs ----------------------------------------------------------------


def _solver():
    """A silent HiGHS instance. The public wrapper prints HiGHS's banner on standard output
    the first time it is made, which would end up inside the auditor's CSV."""
    solver = _core._Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("random_seed", 0)
    return solver


class _Space:
    """The pool grouped into profiles, and the quota problem over them."""

    def __init__(self, pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target],
                 seats: int, categories: tuple[str, ...]):
        self.seats = seats
        self.categories = categories
        self.targets = tuple(sorted(targets))
        groups: dict[Profile, list[str]] = {}
        for person_id, answers in pool.items():
            groups.setdefault(tuple(answers[c] for c in categories), []).append(person_id)
        self.profiles: tuple[Profile, ...] = tuple(sorted(groups))
        self.members = tuple(tuple(sorted(groups[p])) for p in self.profiles)
        self.sizes = tuple(len(m) for m in self.members)

    def _quota_rows(self, categories: Iterable[str]):
        wanted = set(categories)
        for target in self.targets:
            if target.category not in wanted:
                continue
            position = self.categories.index(target.category)
            columns = [k for k, profile in enumerate(self.profiles)
                       if profile[position] == target.value]
            yield target, columns

    def pricing_model(self, categories: Iterable[str]):
        """The integer program "a panel of `seats` meeting the targets of `categories`"."""
        solver = _solver()
        solver.setOptionValue("mip_rel_gap", 0.0)
        solver.setOptionValue("mip_abs_gap", 1e-9)
        for size in self.sizes:
            solver.addCol(0.0, 0.0, float(min(size, self.seats)), 0, [], [])
        count = len(self.sizes)
        solver.changeColsIntegrality(count, list(range(count)),
                                     [highspy.HighsVarType.kInteger] * count)
        solver.addRow(float(self.seats), float(self.seats), count, list(range(count)),
                      [1.0] * count)
        for target, columns in self._quota_rows(categories):
            solver.addRow(float(target.minimum), float(target.maximum), len(columns),
                          columns, [1.0] * len(columns))
        solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
        return solver

    @staticmethod
    def best_panel(solver, weights: Sequence[float]) -> Composition | None:
        solver.changeColsCost(len(weights), list(range(len(weights))), list(weights))
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return tuple(round(value) for value in solver.getSolution().col_value)

    def some_panel(self, categories: Iterable[str]) -> Composition | None:
        return self.best_panel(self.pricing_model(categories), [0.0] * len(self.sizes))

    def conflicting_categories(self) -> list[str]:
        """A smallest-by-deletion set of categories whose targets cannot be met together."""
        chosen: list[str] = []
        for category in self.categories:
            chosen.append(category)
            if self.some_panel(chosen) is None:
                break
        for category in list(chosen[:-1]):
            trial = [c for c in chosen if c != category]
            if self.some_panel(trial) is None:
                chosen = trial
        return chosen


def _covering_panels(space: _Space, pricing) -> tuple[list[Composition], set[int]]:
    """Panels that between them include every profile that any panel can include, and the
    profiles no panel can include (their people's chance is 0)."""
    panels: list[Composition] = []
    uncovered = set(range(len(space.profiles)))
    while uncovered:
        weights = [1.0 / space.sizes[k] if k in uncovered else 0.0
                   for k in range(len(space.profiles))]
        panel = space.best_panel(pricing, weights)
        reached = {k for k in uncovered if panel[k] > 0}
        if panel not in panels:
            panels.append(panel)
        if not reached:
            break
        uncovered -= reached
    if not panels:
        panels.append(space.best_panel(pricing, [0.0] * len(space.profiles)))
    return panels, uncovered


class _Master:
    """The restricted master LP over the panels found so far (one column per panel).

        maximise z  subject to
            Σ_P x_P · c_{P,k} / n_k ≥ z      for every profile k not yet fixed
            Σ_P x_P · c_{P,k} / n_k ≥ f_k    for every profile k fixed at f_k
            Σ_P x_P = 1,  x_P ≥ 0

    HiGHS minimises −z; the row duals y_k (≥ 0) and μ (of the last row) then say which
    panel to look for next: one with Σ_k y_k · c_{P,k} / n_k > −μ improves z.
    """

    def __init__(self, space: _Space):
        self.space = space
        self.solver = _solver()
        # Each solve starts from the last basis; presolve would throw that away.
        self.solver.setOptionValue("presolve", "off")
        # New panels are new columns: the last solution stays feasible, so primal simplex
        # carries on from it where dual simplex would start over.
        self.solver.setOptionValue("simplex_strategy", 4)
        self.solver.addCol(-1.0, 0.0, INFINITY, 0, [], [])  # z
        for _ in space.profiles:
            self.solver.addRow(0.0, INFINITY, 1, [0], [-1.0])
        self.total_row = len(space.profiles)
        self.solver.addRow(1.0, 1.0, 0, [], [])
        self.panels: list[Composition] = []
        self.known: set[Composition] = set()
        self._matrix: np.ndarray | None = None
        self.fixed: dict[int, float] = {}

    def add_panel(self, panel: Composition) -> None:
        rows = [k for k, count in enumerate(panel) if count]
        values = [panel[k] / self.space.sizes[k] for k in rows]
        self.solver.addCol(0.0, 0.0, INFINITY, len(rows) + 1, rows + [self.total_row],
                           values + [1.0])
        self.panels.append(panel)
        self.known.add(panel)

    def matrix(self) -> np.ndarray:
        """The panels found so far, one row each, for scoring them all at once."""
        if self._matrix is None or len(self._matrix) != len(self.panels):
            known = 0 if self._matrix is None else len(self._matrix)
            rows = np.array(self.panels[known:]).reshape(-1, len(self.space.profiles))
            self._matrix = rows if self._matrix is None else np.vstack([self._matrix, rows])
        return self._matrix

    def fix(self, profile: int, chance: float) -> None:
        # A little below the value found, so that rounding in the LP never makes the
        # next round infeasible; `settle` gives the slack back at the end.
        self.fixed[profile] = max(0.0, chance)
        self.solver.changeCoeff(profile, 0, 0.0)
        self.solver.changeRowBounds(profile, max(0.0, chance - TOLERANCE), INFINITY)

    def settle(self) -> None:
        """Once every chance is fixed: the lottery over the panels found whose largest
        shortfall below the fixed chances is smallest (z becomes that shortfall, negated)."""
        for profile, chance in self.fixed.items():
            self.solver.changeCoeff(profile, 0, -1.0)
            self.solver.changeRowBounds(profile, chance, INFINITY)
        self.solver.changeColBounds(0, -INFINITY, INFINITY)
        self.solve()

    def solve(self) -> tuple[float, list[float], float]:
        self.solver.run()
        status = self.solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:  # pragma: no cover - numerical trouble
            raise RuntimeError(f"the master LP ended with {status}")
        solution = self.solver.getSolution()
        duals = list(solution.row_dual)
        return solution.col_value[0], duals[:self.total_row], duals[self.total_row]

    def distribution(self) -> list[float]:
        return list(self.solver.getSolution().col_value[1:])


class _SwapSearch:
    """Cheap pricing: from panels already known, move one seat at a time to the profile that
    raises the panel's weight most while every target still holds. The exact integer
    program is asked only when this finds nothing, so the column generation still stops
    only when no panel at all would improve the lottery."""

    STARTS = 8

    def __init__(self, space: _Space):
        self.space = space
        self.values: list[dict[str, int]] = []
        self.low: list[np.ndarray] = []
        self.high: list[np.ndarray] = []
        for category in space.categories:
            rows = [t for t in space.targets if t.category == category]
            self.values.append({t.value: index for index, t in enumerate(rows)})
            self.low.append(np.array([t.minimum for t in rows]))
            self.high.append(np.array([t.maximum for t in rows]))
        self.value_of = np.array([[self.values[j][profile[j]]
                                   for j in range(len(space.categories))]
                                  for profile in space.profiles]).reshape(
                                      len(space.profiles), len(space.categories))
        self.cap = np.minimum(np.array(space.sizes), space.seats)

    def improve(self, panel: Composition, weights: np.ndarray) -> Composition:
        counts = np.array(panel)
        columns = range(len(self.values))
        filled = [np.bincount(self.value_of[:, j], weights=counts,
                              minlength=len(self.values[j])) for j in columns]
        while True:
            room = counts < self.cap
            may_grow = [filled[j] < self.high[j] for j in columns]
            best = (1e-12, -1, -1)
            for seated in np.flatnonzero(counts):
                allowed = room.copy()
                allowed[seated] = False
                for j in columns:
                    own = self.value_of[seated, j]
                    same = self.value_of[:, j] == own
                    if filled[j][own] > self.low[j][own]:
                        allowed &= same | may_grow[j][self.value_of[:, j]]
                    else:
                        allowed &= same
                if not allowed.any():
                    continue
                gains = np.where(allowed, weights - weights[seated], -np.inf)
                taken = int(np.argmax(gains))
                if gains[taken] > best[0]:
                    best = (gains[taken], int(seated), taken)
            if best[1] < 0:
                return tuple(int(count) for count in counts)
            _, leaving, joining = best
            counts[leaving] -= 1
            counts[joining] += 1
            for j in columns:
                filled[j][self.value_of[leaving, j]] -= 1
                filled[j][self.value_of[joining, j]] += 1

    def improving_panels(self, master: _Master, weights: Sequence[float],
                         threshold: float) -> list[Composition]:
        vector = np.array(weights)
        scores = master.matrix() @ vector
        starts = np.argsort(-scores, kind="stable")[:self.STARTS]
        found: list[Composition] = []
        seen = set(master.known)
        for start in starts:
            panel = self.improve(master.panels[int(start)], vector)
            if panel not in seen and float(np.dot(panel, vector)) > threshold:
                found.append(panel)
                seen.add(panel)
        return found


def _leximin(space: _Space) -> tuple[list[Composition], list[float], int]:
    """Column generation inside the leximin loop of Flanigan et al.: the panels used and their
    chances, and how many leximin rounds it took."""
    pricing = space.pricing_model(space.categories)
    swaps = _SwapSearch(space)
    master = _Master(space)
    panels, never = _covering_panels(space, pricing)
    for panel in panels:
        master.add_panel(panel)
    fixed: set[int] = set()
    for profile in sorted(never):
        master.fix(profile, 0.0)
        fixed.add(profile)
    rounds = 0
    while len(fixed) < len(space.profiles):
        rounds += 1
        while True:
            best, duals, total_dual = master.solve()
            weights = [max(0.0, duals[k]) / space.sizes[k] for k in range(len(space.profiles))]
            threshold = -total_dual + TOLERANCE
            found = swaps.improving_panels(master, weights, threshold)
            if not found:
                panel = space.best_panel(pricing, weights)
                gain = sum(w * c for w, c in zip(weights, panel, strict=True))
                if gain <= threshold or panel in master.known:
                    break
                found = [panel]
            for panel in found:
                master.add_panel(panel)
        # A profile whose dual is positive is held at `best` by every optimal lottery
        # (complementary slackness); fixing it lets the next round raise the others.
        newly = [k for k in range(len(space.profiles))
                 if k not in fixed and duals[k] > TOLERANCE]
        if not newly:  # pragma: no cover - the duals of the unfixed rows add up to 1
            newly = [k for k in range(len(space.profiles)) if k not in fixed]
        for profile in newly:
            master.fix(profile, best)
            fixed.add(profile)
    master.settle()
    return master.panels, master.distribution(), rounds


def _whole_weights(chances: Sequence[float]) -> list[int]:
    """Panel chances as integers adding up to PRECISION (largest remainder, ties to the
    earlier panel), so the same LP output always gives the same lottery."""
    clipped = [max(0.0, value) for value in chances]
    total = sum(clipped)
    exact = [Fraction(value) / Fraction(total) * PRECISION for value in clipped]
    whole = [int(value) for value in exact]
    short = PRECISION - sum(whole)
    order = sorted(range(len(exact)), key=lambda k: (-(exact[k] - whole[k]), k))
    for k in order[:short]:
        whole[k] += 1
    return whole


def find_lottery(pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target],
                 seats: int) -> Lottery:
    """The leximin lottery over panels of `seats` meeting every target, with each person's
    exact chance. Raises TargetsCannotBeMet (naming why) when no such panel exists."""
    check_targets(pool, targets, seats)
    categories = tuple(sorted({target.category for target in targets}))
    space = _Space(pool, targets, seats, categories)
    panels, chances, rounds = _leximin(space)
    whole = _whole_weights(chances)
    kept = sorted((panel, weight) for panel, weight in zip(panels, whole, strict=True)
                  if weight > 0)
    compositions = tuple(panel for panel, _ in kept)
    weights = tuple(weight for _, weight in kept)
    expected = [sum(panel[k] * weight for panel, weight in kept)
                for k in range(len(space.profiles))]
    person_chance: dict[str, Fraction] = {}
    for k, members in enumerate(space.members):
        chance = Fraction(expected[k], PRECISION * space.sizes[k])
        for person_id in members:
            person_chance[person_id] = chance
    chances_in_pool_order = {person_id: person_chance[person_id] for person_id in pool}
    return Lottery(seats=seats, categories=categories, profiles=space.profiles,
                   members=space.members, compositions=compositions, weights=weights,
                   chances=chances_in_pool_order, panels_generated=len(panels),
                   leximin_rounds=rounds)


# --- drawing from the lottery -----------------------------------------------------------


def _random_stream(seed: str) -> random.Random:
    """Python's Mersenne Twister seeded with the seed as a string (hashed with SHA-512 by
    `random.seed`, version 2): anyone can replay it. The draw must be reproducible; its
    unpredictability comes from a seed that is made public only when it is drawn."""
    return random.Random(str(seed))  # noqa: S311  # nosec B311  # reproducible on purpose


def _sample(lottery: Lottery, rng: random.Random) -> list[str]:
    ticket = rng.randrange(PRECISION)
    index = 0
    while ticket >= lottery.weights[index]:
        ticket -= lottery.weights[index]
        index += 1
    composition = lottery.compositions[index]
    chosen: list[str] = []
    for members, count in zip(lottery.members, composition, strict=True):
        if count:
            chosen.extend(rng.sample(members, count))
    return chosen


def sample_panel(lottery: Lottery, seed: str) -> tuple[str, ...]:
    """The panel the seed draws: a ticket in [0, PRECISION) picks a panel composition by
    its chance, then each profile's seats go to members drawn uniformly."""
    return tuple(sorted(_sample(lottery, _random_stream(seed))))


def _meets(counts: Counter, targets: Iterable[Target]) -> list[Target]:
    return [t for t in targets if t.minimum <= counts[t.category, t.value] <= t.maximum]


def _counts(people: Iterable[str], pool: Mapping[str, Mapping[str, str]],
            categories: Iterable[str]) -> Counter:
    categories = tuple(categories)
    return Counter((c, pool[person][c]) for person in people for c in categories)


def _can_replace(candidate: str, seated: str, counts: Counter,
                 pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target],
                 categories: Sequence[str]) -> bool:
    swapped = counts.copy()
    for category in categories:
        swapped[category, pool[seated][category]] -= 1
        swapped[category, pool[candidate][category]] += 1
    return len(_meets(swapped, targets)) == len(targets)


def _rank_alternates(panel: Sequence[str], pool: Mapping[str, Mapping[str, str]],
                     targets: Sequence[Target], how_many: int,
                     rng: random.Random) -> list[str]:
    """Everyone off the panel in a seeded random order; then, in that order, first those
    who can take the seat of a panel member no earlier alternate could replace, then
    those who can replace somebody, then the rest."""
    categories = sorted({t.category for t in targets})
    seated = set(panel)
    order = sorted(person for person in pool if person not in seated)
    rng.shuffle(order)
    counts = _counts(panel, pool, categories)
    replaceable = {person: {s for s in sorted(panel)
                            if _can_replace(person, s, counts, pool, targets, categories)}
                   for person in order}
    ranked: list[str] = []
    uncovered = set(panel)
    for person in order:
        if replaceable[person] & uncovered:
            ranked.append(person)
            uncovered -= replaceable[person]
    taken = set(ranked)
    ranked += [p for p in order if p not in taken and replaceable[p]]
    taken = set(ranked)
    ranked += [p for p in order if p not in taken]
    return ranked[:how_many]


def draw(pool: Mapping[str, Mapping[str, str]], targets: Sequence[Target], seats: int,
         alternates: int, seed: str) -> Draw:
    """The whole draw: the leximin lottery, the panel drawn from it with `seed`, then up to
    `alternates` ranked alternates drawn with the same random stream."""
    if alternates < 0:
        raise InvalidSelectionInput(N_("The number of alternates cannot be negative."))
    lottery = find_lottery(pool, targets, seats)
    rng = _random_stream(seed)
    chosen = set(_sample(lottery, rng))
    panel = tuple(person for person in pool if person in chosen)
    ranked = _rank_alternates(panel, pool, targets, alternates, rng)
    return Draw(panel=panel, alternates=tuple(ranked), chances=lottery.chances,
                seed=str(seed), seats=seats,
                pool_fingerprint=fingerprint(pool_csv(pool)),
                targets_fingerprint=fingerprint(targets_csv(targets)), lottery=lottery)


def next_alternate(panel: Sequence[str], declined_id: str, alternates: Sequence[str],
                   pool: Mapping[str, Mapping[str, str]],
                   targets: Sequence[Target]) -> Replacement:
    """Who takes the seat `declined_id` gives up: the first alternate, in rank order, not
    already seated, whose swap keeps every target the panel meets now. When none does,
    the first one who keeps the most of them, marked `keeps_every_target=False`."""
    categories = sorted({t.category for t in targets})
    held = _meets(_counts(panel, pool, categories), sorted(targets))
    remaining = [person for person in panel if person != declined_id]
    best: tuple[int, str, list[Target]] | None = None
    for candidate in alternates:
        if candidate in panel or candidate == declined_id:
            continue
        met = _meets(_counts([*remaining, candidate], pool, categories), held)
        if len(met) == len(held):
            return Replacement(candidate, True, tuple(met), ())
        if best is None or len(met) > best[0]:
            best = (len(met), candidate, met)
    if best is None:
        missed = tuple(t for t in held if t not in _meets(
            _counts(remaining, pool, categories), held))
        return Replacement(None, False, tuple(t for t in held if t not in missed), missed)
    _, candidate, met = best
    return Replacement(candidate, False, tuple(met), tuple(t for t in held if t not in met))
