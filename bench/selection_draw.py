"""Time one draw at the size of a city-wide open call.

    python bench/selection_draw.py [--applicants 1500] [--seats 10] [--seed 2026]

Builds an invented pool (the same every run) with four categories — neighborhood
(23 values, Boston's neighborhoods and "another / not sure"), language (7),
age band (6) and gender (3) — and targets of the kind a call sets, then runs the
whole draw and prints how long it took, how many panels the column generation
found, how many leximin rounds it needed and the smallest chance anyone has.
"""

from __future__ import annotations

import argparse
import random
import time

from portal.selection import Target, draw

NEIGHBORHOODS = [
    ("Dorchester", 14), ("Roxbury", 9), ("South End", 6), ("Mattapan", 6),
    ("East Boston", 6), ("Jamaica Plain", 5), ("Hyde Park", 5), ("Allston", 3),
    ("Brighton", 4), ("Roslindale", 4), ("South Boston", 4), ("Charlestown", 3),
    ("Mission Hill", 3), ("Fenway", 3), ("Chinatown", 3), ("West Roxbury", 3),
    ("Back Bay", 2), ("Beacon Hill", 2), ("North End", 2), ("Downtown", 2),
    ("West End", 1), ("Bay Village", 1), ("another / not sure", 3),
]
LANGUAGES = [("English", 52), ("Spanish", 18), ("Haitian Creole", 9), ("Chinese", 7),
             ("Vietnamese", 5), ("Cape Verdean Creole", 5), ("another", 4)]
AGE_BANDS = [("18-24", 12), ("25-34", 22), ("35-44", 20), ("45-54", 18), ("55-64", 16),
             ("65+", 12)]
GENDERS = [("woman", 52), ("man", 43), ("nonbinary or another", 5)]

# Neighborhoods the city's crisis calls came from most need a voice on the panel.
MUST_HAVE = {"Dorchester", "Roxbury", "South End", "Mattapan"}


def invented_pool(applicants: int, seed: int = 7) -> dict[str, dict[str, str]]:
    rng = random.Random(seed)

    def pick(choices):
        values, weights = zip(*choices, strict=True)
        return rng.choices(values, weights)[0]

    return {f"A{number:05d}": {"neighborhood": pick(NEIGHBORHOODS),
                               "language": pick(LANGUAGES), "age_band": pick(AGE_BANDS),
                               "gender": pick(GENDERS)}
            for number in range(1, applicants + 1)}


def city_targets(seats: int = 10) -> list[Target]:
    targets = [Target("neighborhood", name, 1 if name in MUST_HAVE else 0, 2)
               for name, _ in NEIGHBORHOODS]
    targets += [Target("language", "English", 2, 5), Target("language", "Spanish", 1, 3),
                Target("language", "Haitian Creole", 1, 2), Target("language", "Chinese", 0, 2),
                Target("language", "Vietnamese", 0, 2),
                Target("language", "Cape Verdean Creole", 0, 2),
                Target("language", "another", 0, 2)]
    targets += [Target("age_band", band, 1 if band in ("18-24", "65+") else 0, 3)
                for band, _ in AGE_BANDS]
    targets += [Target("gender", "woman", 4, 6), Target("gender", "man", 3, 5),
                Target("gender", "nonbinary or another", 0, 2)]
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=1500)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--alternates", type=int, default=5)
    parser.add_argument("--seed", default="2026")
    arguments = parser.parse_args()
    pool = invented_pool(arguments.applicants)
    started = time.perf_counter()
    result = draw(pool, city_targets(arguments.seats), arguments.seats, arguments.alternates,
                  arguments.seed)
    seconds = time.perf_counter() - started
    lottery = result.lottery
    smallest = min(result.chances.values())
    print(f"applicants          {len(pool):>8}")
    print(f"profiles            {len(lottery.profiles):>8}")
    print(f"seats               {arguments.seats:>8}")
    print(f"time                {seconds:>8.1f} s")
    print(f"panels generated    {lottery.panels_generated:>8}")
    print(f"panels with chance  {len(lottery.compositions):>8}")
    print(f"leximin rounds      {lottery.leximin_rounds:>8}")
    print(f"smallest chance     {float(smallest):>8.4f}  (seats / applicants = "
          f"{arguments.seats / len(pool):.4f})")
    print(f"largest chance      {float(max(result.chances.values())):>8.4f}")


if __name__ == "__main__":
    main()
