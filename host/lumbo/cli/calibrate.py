"""`lumbo calibrate`: teach the device where your upright is, with the steps on screen and the live tilt.

1. Clip the device at the small of your back and stand tall and still: the live tilt is shown while the
   device sees you standing, and after a few still seconds lumbo asks it to take that as upright.
2. The device confirms; standing now reads about 0 degrees.
3. Sit down as you usually do: the live tilt shows how far your pelvis tilts back when you sit.

The result says what was set and whether it looks right.
"""

import asyncio
import time

from lumbo.cli import CommandError
from lumbo.cli.options import add_address_option, add_db_option, add_scan_option, on_device
from lumbo.live import tilt_gauge
from lumbo.shared import vocab

# Standing still this long (status seconds) before the upright is taken.
HOLD_S = 5
# How far from 0 degrees standing may read right after calibrating: more means the wearer moved.
UPRIGHT_TOLERANCE_CDEG = 300
# Sitting usually tilts the pelvis back by 5 to 25 degrees (about 13-18 on average).
SITTING_TYPICAL_CDEG = (500, 2500)


def register(subparsers) -> None:
    parser = subparsers.add_parser("calibrate", help="guided: set the device's upright, with the live tilt")
    parser.add_argument("--hold-s", type=int, default=HOLD_S, help=f"seconds to stand still (default {HOLD_S})")
    parser.add_argument("--timeout-s", type=float, default=60.0,
                        help="how long to wait for each step (default 60)")
    parser.add_argument("--skip-sitting", action="store_true", help="stop after setting the upright")
    add_address_option(parser)
    add_scan_option(parser)
    add_db_option(parser)
    parser.set_defaults(func=run)


class Steps:
    """The guided steps on a connected session, printing to `out`."""

    def __init__(self, session, args, out) -> None:  # type: ignore[no-untyped-def]
        self.session = session
        self.args = args
        self.out = out
        self.statuses: asyncio.Queue = asyncio.Queue()  # type: ignore[type-arg]
        self.calibrated = asyncio.Event()
        session.on_status = self.statuses.put_nowait
        session.on_event = self._event

    def _event(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.kind == vocab.EVENT_CALIBRATED:
            self.calibrated.set()

    def _line(self, status) -> None:  # type: ignore[no-untyped-def]
        posture = vocab.state_name(status.state).replace("_", " ")
        self.out(f"  {posture:<9} {tilt_gauge(status.tilt_cdeg).plain}")

    async def _hold(self, state: int, seconds: int, what: str):  # type: ignore[no-untyped-def]
        """Wait until the device reports `state` for `seconds` status updates in a row; the last status."""
        deadline = time.monotonic() + self.args.timeout_s
        run = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CommandError(f"the device did not see you {what} within {self.args.timeout_s:.0f} s; "
                                   "run `lumbo calibrate` again when you are ready")
            try:
                status = await asyncio.wait_for(self.statuses.get(), left)
            except TimeoutError:
                continue
            self._line(status)
            run = run + 1 if status.state == state else 0
            if run >= seconds:
                return status

    async def run(self) -> dict:  # type: ignore[type-arg]
        out = self.out
        out("Step 1 of 3: clip the device at the small of your back (on the belt, over the low spine).")
        out(f"Stand tall and still, looking ahead, arms relaxed, for {self.args.hold_s} seconds.")
        before = await self._hold(vocab.STATE_STANDING, self.args.hold_s, "standing still")
        out("Step 2 of 3: hold still: setting your upright…")
        await self.session.calibrate()
        try:
            await asyncio.wait_for(self.calibrated.wait(), 5.0)
        except TimeoutError:
            raise CommandError("the device took the request but did not report a calibration; "
                               "run `lumbo calibrate` again") from None
        after = await self._hold(vocab.STATE_STANDING, 2, "standing still")
        result = {"standing_before_cdeg": before.tilt_cdeg, "standing_after_cdeg": after.tilt_cdeg,
                  "sitting_cdeg": None, "ok": abs(after.tilt_cdeg) <= UPRIGHT_TOLERANCE_CDEG}
        if not result["ok"]:
            return result
        if self.args.skip_sitting:
            return result
        out("Step 3 of 3: now sit down as you usually do, and stay seated for a few seconds.")
        sitting = await self._hold(vocab.STATE_SITTING, 3, "sitting")
        result["sitting_cdeg"] = sitting.tilt_cdeg
        return result


def describe(result: dict) -> list[str]:  # type: ignore[type-arg]
    lines = []
    if not result["ok"]:
        lines.append(f"Calibration did not hold: standing reads {result['standing_after_cdeg'] / 100:+.1f}° right "
                     "after it (it should read about 0°). You or the clip probably moved: run `lumbo calibrate` "
                     "again and keep still until it says done.")
        return lines
    lines.append(f"Done: your upright is set. Standing now reads {result['standing_after_cdeg'] / 100:+.1f}° "
                 f"(it read {result['standing_before_cdeg'] / 100:+.1f}° before).")
    sitting = result["sitting_cdeg"]
    if sitting is not None:
        low, high = SITTING_TYPICAL_CDEG
        lines.append(f"Sitting, your pelvis tilts {abs(sitting) / 100:.1f}° "
                     f"{'back' if sitting >= 0 else 'forward'} (positive: back, as when slumping).")
        if low <= sitting <= high:
            lines.append("That is in the usual range for sitting (5 to 25° back).")
        else:
            lines.append("That is outside the usual 5 to 25° back: check that the device sits level on your "
                         "back and calibrate again if it slipped.")
    return lines


def run(args) -> int:
    if args.hold_s < 1:
        raise CommandError("--hold-s must be at least 1")

    async def work(session):  # type: ignore[no-untyped-def]
        return await Steps(session, args, print).run()

    result = on_device(args, "calibrate", work, say=print)
    for line in describe(result):
        print(line)
    return 0 if result["ok"] else 1
