"""`lumbo eval ...`: score the firmware's own code on a folder of recordings."""

import importlib

# Each module lumbo.evaluate.<name> has `register(subparsers)` adding `lumbo eval <name>`.
EVALUATIONS: tuple[str, ...] = ("posture", "tilt")


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="score the firmware's algorithms on recordings")
    evals = parser.add_subparsers(dest="evaluation", metavar="WHAT", required=True)
    for name in EVALUATIONS:
        importlib.import_module(f"lumbo.evaluate.{name}").register(evals)
