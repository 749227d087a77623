"""`lumbo run`: stay connected to the paired device all day — set its clock, send settings, sync the
history, show the live view and deliver break prompts; reconnect by itself after any drop."""

import asyncio
import sys
import uuid
from typing import Any

from lumbo.cli import CommandError
from lumbo.cli.options import add_config_option, add_db_option, load_config, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="connect, sync, show live status and deliver break prompts")
    parser.add_argument("--address", help="the device to use (default: the one paired last)")
    parser.add_argument("--notify", choices=("auto", "desktop", "terminal"),
                        help="where prompts go (default: the 'notifications' setting)")
    parser.add_argument("--no-live", action="store_true", help="plain log lines instead of the live view")
    add_db_option(parser)
    add_config_option(parser)
    parser.set_defaults(func=run)


def host_id() -> int:
    """This computer's id towards the device (each host keeps its own sync cursor there)."""
    return uuid.getnode() & 0xFFFFFFFF


def run(args, bleak_kwargs: dict[str, Any] | None = None) -> int:
    store = open_store(args)
    config = load_config(args)
    address = args.address
    if address is None:
        paired = store.paired_device()
        if paired is None:
            store.close()
            raise CommandError("no paired device: run `lumbo pair` first (or give --address)")
        address = paired.address
    try:
        asyncio.run(_main(args, store, config, address, bleak_kwargs or {}))
    finally:
        store.close()
    return 0


async def _main(args, store, config, address: str, bleak_kwargs: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.live import Live

    from lumbo.link.runner import Runner
    from lumbo.link.session import Session
    from lumbo.live import LiveView
    from lumbo.prompts.manager import PromptManager
    from lumbo.prompts.notify import Notifier, TerminalChannel

    console = Console()
    view = LiveView()
    say = console.print if args.no_live else view.say
    notifier = Notifier(args.notify or config.get("notifications"), terminal=TerminalChannel(console))
    manager = PromptManager(store, notifier, config, say=say)

    def make_session(client: Any) -> Session:
        return Session(client, store, address, host_id(), say=say, on_status=view.on_status,
                       on_prompt=lambda event: manager.on_prompt(address, event), on_progress=view.on_progress)

    async def after_connect(session: Session) -> None:
        view.link = "connected: setting the clock"
        await session.set_clock()
        await session.send_settings(config.device_overrides())
        view.link = "connected: syncing"
        result = await session.sync()
        view.sync_done()
        say(f"synced {result.new} new records ({result.duplicates} already stored, {result.lost} lost on the device)")
        view.link = "connected"
        manager.device = session

    runner = Runner(address, make_session, after_connect=after_connect, say=say, bleak_kwargs=bleak_kwargs)
    loop = asyncio.get_running_loop()
    if sys.stdin.isatty():
        loop.add_reader(sys.stdin, lambda: notifier.terminal.answer(sys.stdin.readline()))
    task = asyncio.ensure_future(runner.run())
    try:
        if args.no_live:
            await task
        else:
            with Live(view.render(), console=console, refresh_per_second=2) as live:
                while not task.done():
                    live.update(view.render())
                    await asyncio.sleep(0.5)
                await task
    finally:
        runner.stop()
        if sys.stdin.isatty():
            loop.remove_reader(sys.stdin)
        await manager.drain()
