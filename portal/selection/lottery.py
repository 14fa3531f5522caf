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

from portal.selection.inputs import (
    N_,
    InvalidSelectionInput,
    Target,
    TargetsCannotBeMet,
    fingerprint,
    pool_csv,
    targets_csv,
)
from portal.selection.leximin import Composition, Profile, ProfileSpace, leximin_lottery

# The lottery's panel chances are whole multiples of 1/PRECISION, so the sample drawn
# from a seed depends on integers only, never on how floating point rounds.
PRECISION = 10**9


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
    space = ProfileSpace(pool, targets, seats, categories)
    if space.some_panel(space.categories) is None:
        conflict = space.conflicting_categories()
        raise TargetsCannotBeMet(
            N_("The targets for %(categories)s cannot all be met together by any panel of "
               "%(seats)d from this pool."),
            categories=", ".join(conflict), seats=seats)


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
    space = ProfileSpace(pool, targets, seats, categories)
    panels, chances, rounds = leximin_lottery(space)
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
