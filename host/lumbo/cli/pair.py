"""`lumbo pair`: bond with a lumbo device and remember it, so `lumbo run` connects to it from then on.

The device accepts a new computer only while its pairing window is open: for 5 minutes after its first
start, after a long press of its button, or for a while after `lumbo pair --allow-another` on a computer
already paired with it.
"""

import asyncio

from lumbo.cli import CommandError
from lumbo.cli.options import (
    add_address_option,
    add_db_option,
    add_scan_option,
    link_error,
    on_device,
    open_link,
    open_store,
    refuse_while_running,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("pair", help="bond with a lumbo device and remember it")
    add_address_option(parser)
    add_scan_option(parser)
    parser.add_argument("--allow-another", type=int, nargs="?", const=300, metavar="SECONDS",
                        help="on a paired computer: let the device accept another computer for this long "
                             "(default 300 s)")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.allow_another is not None:
        return _allow_another(args)
    from bleak.exc import BleakError

    from lumbo.link import pairing
    from lumbo.link.session import LinkError

    refuse_while_running(args, "pair")
    store = open_store(args)
    link = open_link(args)

    async def main() -> str:
        try:
            return await pairing.pair(store, link, address=args.address, scan_s=args.scan_s)
        finally:
            await link.close()

    try:
        asyncio.run(main())
    except pairing.PairError as exc:
        raise CommandError(str(exc)) from None
    except (BleakError, LinkError, TimeoutError, OSError) as exc:
        raise link_error(exc) from None
    finally:
        store.close()
    return 0


def _allow_another(args) -> int:
    if not 1 <= args.allow_another <= 600:
        raise CommandError("--allow-another takes 1 to 600 seconds")

    async def work(session) -> None:  # type: ignore[no-untyped-def]
        await session.open_pairing(args.allow_another)

    on_device(args, "let another computer pair", work)
    print(f"the device accepts a new computer for {args.allow_another} s: run `lumbo pair` there now")
    return 0
