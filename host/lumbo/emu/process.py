"""Running an emulator part as a process of its own: stop cleanly on SIGTERM or Ctrl-C, and (when started
by `lumbo.emu.launch`) when the parent goes away, so no part outlives the run that started it."""

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

# `lumbo.emu.launch` keeps a pipe on each child's stdin and never writes to it: end of file there means the
# parent has gone, however it went.
LIFELINE_FLAG = "--lifeline-stdin"


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    closed = loop.create_future()

    def on_readable() -> None:
        try:
            data = os.read(sys.stdin.fileno(), 4096)
        except BlockingIOError:
            return
        if not data and not closed.done():
            closed.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_readable)
    try:
        await closed
    finally:
        loop.remove_reader(sys.stdin.fileno())


def run_until_stopped(main: Coroutine[Any, Any, None], lifeline: bool = False) -> int:
    """Run `main` until it returns, a SIGTERM or SIGINT arrives, or (with `lifeline`) stdin closes.
    Returns the process exit status: 0 for a requested stop."""

    async def supervise() -> int:
        loop = asyncio.get_running_loop()
        main_task = asyncio.ensure_future(main)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, main_task.cancel)
        watchers = [asyncio.ensure_future(_until_stdin_closes())] if lifeline else []
        try:
            done, _ = await asyncio.wait([main_task, *watchers], return_when=asyncio.FIRST_COMPLETED)
            if main_task in done and not main_task.cancelled():
                main_task.result()
            return 0
        except asyncio.CancelledError:
            return 0
        finally:
            for task in (main_task, *watchers):
                task.cancel()
            for task in (main_task, *watchers):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return asyncio.run(supervise())
