"""`lumbo record OUT.csv`: record the device's raw IMU stream to a `lumbo-imu/1` file (OUT.csv.gz for gzip),
for checking a new board or mounting and for building test data. Stops after --seconds, or at Ctrl-C;
what was received is written either way."""

import asyncio
import time
from pathlib import Path

from lumbo.cli import CommandError
from lumbo.cli.options import add_address_option, add_db_option, add_scan_option, on_device, output_path


def register(subparsers) -> None:
    parser = subparsers.add_parser("record", help="record the raw IMU stream to a lumbo-imu/1 file")
    parser.add_argument("out", metavar="OUT.csv", help="the recording to write (.csv or .csv.gz)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: at Ctrl-C)")
    parser.add_argument("--placement", default="low back, over L4-S1",
                        help="where the device was worn (written into the file)")
    add_address_option(parser)
    add_scan_option(parser)
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from lumbo import recording
    from lumbo.link.raw import RawRecorder

    out = output_path(args.out)
    if not (out.name.endswith(".csv") or out.name.endswith(".csv.gz")):
        raise CommandError(f"{out.name}: a recording's name ends in .csv or .csv.gz")
    if args.seconds is not None and args.seconds <= 0:
        raise CommandError("--seconds must be positive")
    holder: dict[str, RawRecorder] = {}

    async def work(session):  # type: ignore[no-untyped-def]
        settings = await session.read_settings()
        recorder = RawRecorder(float(settings.get("imu_rate_hz", 50)))
        holder["recorder"] = recorder
        session.on_raw = recorder.feed
        await session.raw_stream(True)
        print(f"recording to {out} ({recorder.rate_hz:g} Hz)" +
              (f" for {args.seconds:g} s…" if args.seconds else "; Ctrl-C to stop…"))
        started = time.monotonic()
        try:
            while args.seconds is None or time.monotonic() - started < args.seconds:
                await asyncio.sleep(0.1 if args.seconds is None else min(0.1, args.seconds))
        finally:
            if session.client.is_connected:
                await session.raw_stream(False)

    interrupted = False
    try:
        on_device(args, "record", work, say=lambda _t: None)
    except KeyboardInterrupt:
        interrupted = True
    recorder = holder.get("recorder")
    if recorder is None or recorder.samples == 0:
        raise CommandError("no samples arrived from the device; nothing was written")
    rec = recorder.recording({"source": "lumbo record: the device's raw stream, board frame",
                              "placement": args.placement})
    recording.write(Path(out), rec)
    lost = f", {recorder.lost_notifications} notifications lost on the way" if recorder.lost_notifications else ""
    print(f"wrote {len(rec)} samples ({rec.t_s[-1]:.1f} s) to {out}{lost}")
    return 130 if interrupted else 0
