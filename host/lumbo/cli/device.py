"""`lumbo device ...`: the board's own console."""

import sys
import time

from lumbo.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser("device", help="the board's console")
    sub = parser.add_subparsers(dest="device_command", metavar="WHAT", required=True)
    logs = sub.add_parser("logs", help="show what the board prints (Ctrl-C to stop)")
    logs.add_argument("--port", help="serial port (default: the one ESP32 board plugged in)")
    logs.add_argument("--restart", action="store_true", help="soft-reset the board first, to see it start")
    logs.add_argument("--seconds", type=float, help="stop after this many seconds")
    logs.set_defaults(func=run_logs)


def run_logs(args) -> int:
    import serial

    from lumbo.flash import FlashError, ports

    try:
        port = ports.find_board(args.port)
    except FlashError as exc:
        raise CommandError(str(exc)) from None
    try:
        link = serial.serial_for_url(port, baudrate=115200, timeout=0.1, exclusive=True)
    except (serial.SerialException, OSError) as exc:
        raise CommandError(f"cannot open {port}: {exc}; is another program using it?") from None
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    try:
        if args.restart:
            link.write(b"\r\x03\x03\r\x02\x04")  # stop what runs, friendly REPL, soft reset
        while deadline is None or time.monotonic() < deadline:
            data = link.read(1024)
            if data:
                sys.stdout.write(data.decode(errors="replace").replace("\r\n", "\n"))
                sys.stdout.flush()
    except serial.SerialException as exc:
        raise CommandError(f"lost the board on {port}: {exc}") from None
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0
