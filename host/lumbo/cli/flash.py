"""`lumbo flash`: put the firmware on a board (and, with --micropython, MicroPython itself first)."""

from pathlib import Path

from lumbo.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "flash", help="compile the firmware and copy it to the board",
        description="Compile firmware/ and shared/ for the board's MicroPython, copy what changed, switch to it "
                    "in one step and check that it starts. The wearer's files in /data stay as they are.")
    parser.add_argument("--port", help="serial port (default: the one ESP32 board plugged in); "
                                       "socket://HOST:PORT reaches an emulated board")
    parser.add_argument("--micropython", type=Path, metavar="FIRMWARE.bin",
                        help="first install MicroPython from this image (from micropython.org/download) with "
                             "esptool; this erases the board")
    parser.add_argument("--no-verify", action="store_true", help="do not restart the board to check the result")
    parser.set_defaults(func=run)


def run(args) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from lumbo.flash import FlashError, micropython, ports
    from lumbo.flash.deploy import deploy

    try:
        port = ports.find_board(args.port)
        if args.micropython is not None:
            micropython.install(port, args.micropython)
        with Progress(TextColumn("copying"), BarColumn(), DownloadColumn(), transient=True) as bar:
            task = bar.add_task("copy", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = deploy(port, on_progress=progress, verify=not args.no_verify)
    except FlashError as exc:
        raise CommandError(str(exc)) from None
    if result.get("up_to_date"):
        print(f"the board on {port} already runs lumbo firmware {result['version']}: nothing to copy")
        return 0
    print(f"lumbo firmware {result['version']} ({result['arch']}) is on {port} in /lumbo/{result['slot']}: "
          f"{result['sent_files']} files sent ({result['sent_bytes']} bytes), {result['copied_on_board']} copied on "
          f"the board, {result['kept']} already there"
          + ("; it started" if result.get("verified") else ""))
    return 0
