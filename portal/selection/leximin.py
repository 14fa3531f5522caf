"""The linear programs of the leximin lottery (Flanigan et al., Nature 2021), solved with
HiGHS: column generation over panels inside the leximin loop.

Panels are counted per *profile* (people with the same value in every targeted
category); docs/selection.md explains why that gives the same chances as working
person by person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import highspy
import numpy as np
from highspy import _core

from portal.selection.inputs import Target

# How far a linear-program value may be off and still count as equal.
TOLERANCE = 1e-7
INFINITY = highspy.kHighsInf
# A person's profile: their value for each targeted category, in category order.
Profile = tuple[str, ...]
# A panel as the number of people taken from each profile, in profile order.
Composition = tuple[int, ...]


def _solver():
    """A silent HiGHS instance. The public wrapper prints HiGHS's banner on standard output
    the first time it is made, which would end up inside the auditor's CSV."""
    solver = _core._Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("random_seed", 0)
    return solver


class ProfileSpace:
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


def _covering_panels(space: ProfileSpace, pricing) -> tuple[list[Composition], set[int]]:
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

    def __init__(self, space: ProfileSpace):
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

    def __init__(self, space: ProfileSpace):
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


def leximin_lottery(space: ProfileSpace) -> tuple[list[Composition], list[float], int]:
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
