"""`lumbo run`: stay connected to the paired device all day — set its clock, send settings, sync the
history, show the live view and deliver break prompts; reconnect by itself after any drop, and wait quietly
while the device is away or keeps its radio off between syncs. The work is lumbo.link.host.HostApp."""

import asyncio
import sys
import time

from lumbo.cli import CommandError
from lumbo.cli.options import (
    add_address_option,
    add_config_option,
    add_db_option,
    load_config,
    open_link,
    open_store,
    paired_address,
    run_lock,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="connect, sync, show live status and deliver break prompts")
    add_address_option(parser)
    parser.add_argument("--notify", choices=("auto", "desktop", "terminal"),
                        help="where prompts go (default: the 'notifications' setting)")
    parser.add_argument("--no-live", action="store_true", help="plain log lines instead of the live view")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    add_db_option(parser)
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    lock = run_lock(args)
    if not lock.acquire():
        raise CommandError(f"another `lumbo run` is using this log ({lock.path}); stop it first")
    try:
        store = open_store(args)
        try:
            config = load_config(args)
            address = paired_address(store, args)
            asyncio.run(_main(args, store, config, address))
        finally:
            store.close()
    finally:
        lock.release()
    return 0


async def _main(args, store, config, address: str) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.live import Live
    from rich.markup import escape

    from lumbo.link.host import EVENT, LINK, PROGRESS, STATUS, SYNC, HostApp, Update
    from lumbo.live import LiveView
    from lumbo.prompts.notify import Notifier, TerminalChannel

    console = Console()
    view = LiveView()

    def show(update: Update) -> None:
        if update.kind == STATUS:
            view.on_status(update.data)
        elif update.kind == PROGRESS:
            view.on_progress(*update.data)
        elif update.kind == LINK:
            view.link = update.text
            if args.no_live:
                console.print(f"{time.strftime('%H:%M:%S')}  [dim]link: {escape(update.text)}[/]")
        else:
            if update.kind == SYNC:
                view.sync_done()
            if args.no_live:
                text = f"[dim]{escape(update.text)}[/]" if update.kind == EVENT else escape(update.text)
                console.print(f"{time.strftime('%H:%M:%S')}  {text}")
            else:
                view.say(update.text)

    notifier = Notifier(args.notify or config.get("notifications"), terminal=TerminalChannel(console))
    link = open_link(args)
    app = HostApp(store, config, address, link=link, notifier=notifier, listener=show)
    loop = asyncio.get_running_loop()
    reading = sys.stdin.isatty()
    if reading:
        loop.add_reader(sys.stdin, lambda: notifier.terminal.answer(sys.stdin.readline()))
    task = asyncio.ensure_future(app.run())
    if args.seconds is not None:
        loop.call_later(args.seconds, app.stop)
    try:
        if args.no_live:
            await task
        else:
            with Live(view.render(), console=console, refresh_per_second=2) as live:
                while not task.done():
                    live.update(view.render())
                    await asyncio.wait({task}, timeout=0.5)
                await task
    finally:
        app.stop()
        if not task.done():
            task.cancel()
        if reading:
            loop.remove_reader(sys.stdin)
        await link.close()
