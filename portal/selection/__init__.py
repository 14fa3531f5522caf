"""Selection of a design group's members by a fair, auditable lottery.

`portal.selection.lottery` is the rule itself: plain Python and HiGHS, no web
framework and no database, so the web draw, `flask selection draw` and the
tests all run the same code. docs/selection.md explains it.
"""

from portal.selection.inputs import (
    InvalidSelectionInput,
    SelectionError,
    Target,
    TargetsCannotBeMet,
    fingerprint,
    pool_csv,
    read_pool_csv,
    read_targets_csv,
    targets_csv,
    write_pool_csv,
    write_targets_csv,
)
from portal.selection.lottery import (
    Draw,
    Lottery,
    Replacement,
    check_targets,
    draw,
    find_lottery,
    next_alternate,
    sample_panel,
)

__all__ = [
    "Draw", "InvalidSelectionInput", "Lottery", "Replacement", "SelectionError", "Target",
    "TargetsCannotBeMet", "check_targets", "draw", "fingerprint", "find_lottery",
    "next_alternate", "pool_csv", "read_pool_csv", "read_targets_csv", "sample_panel",
    "targets_csv", "write_pool_csv", "write_targets_csv",
]
