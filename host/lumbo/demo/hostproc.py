"""The demo's host app as a process of its own, so a test can kill it (SIGKILL) in the middle of a sync
and start it again on the same log database and bonds.

    python -m lumbo.demo.hostproc --db FILE --keystore FILE --address ADDR --radio TRANSPORT --speed S
                                  --epoch0 T

It prints `start N` (the last record it holds all up to), `paired`, `progress N` (records received in the
current sync, every 64) and `synced NEW DUPLICATES LOST` after each sync; it runs until stopped (SIGTERM,
Ctrl-C) or killed.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from lumbo.config import Config
from lumbo.demo.host import DemoHost, DeviceTime
from lumbo.emu import process
from lumbo.prompts.notify import Notifier, TerminalChannel
from lumbo.store import open_store

PROGRESS_EVERY = 64


def _print(line: str) -> None:
    print(line, flush=True)


async def _run(args: argparse.Namespace) -> None:
    store = open_store(args.db)
    host = None
    try:
        position = store.sync_position(args.address)
        device_time = DeviceTime(args.speed, args.epoch0)
        notifier = Notifier("terminal", terminal=TerminalChannel())
        last = [0]

        def progress(done: int, _total: int) -> None:
            if done - last[0] >= PROGRESS_EVERY or done < last[0]:
                last[0] = done
                _print(f"progress {done}")

        host = DemoHost(store, Config(args.db.with_name("config.json")), notifier, args.address, args.radio,
                        args.keystore, device_time, args.speed, say=lambda _m: None, on_progress=progress)
        _print(f"start {position[0] if position else 0}")
        if args.pair:
            await host.pair()
            _print("paired")
        host.start()
        seen = 0
        while True:
            await asyncio.sleep(0.05)
            while seen < len(host.syncs):
                result = host.syncs[seen]
                seen += 1
                _print(f"synced {result.new} {result.duplicates} {result.lost}")
    finally:
        if host is not None:
            await host.stop()
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lumbo.demo.hostproc", description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--keystore", type=Path, required=True)
    parser.add_argument("--address", required=True, help="the device's identity address")
    parser.add_argument("--radio", required=True, help="the emulated radio's transport (tcp-client:...)")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--epoch0", type=int, default=0, help="the device's time when the day began")
    parser.add_argument("--pair", action="store_true", help="bond with the device first")
    args = parser.parse_args(argv)
    return process.run_until_stopped(_run(args))


if __name__ == "__main__":
    sys.exit(main())
