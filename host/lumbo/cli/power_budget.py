"""`lumbo power-budget`: days on one charge, from the firmware's settings and datasheet currents."""

import json
from pathlib import Path

from lumbo.cli import CommandError


def register(subparsers) -> None:
    from lumbo import power

    parser = subparsers.add_parser(
        "power-budget", help="battery life from the firmware's settings and datasheet currents",
        description="Battery life of a lumbo build, from the firmware's own settings (IMU rate, FIFO watermark, "
                    "Bluetooth schedule), the CPU time the device benchmarks measure and datasheet currents.")
    parser.add_argument("--build", default="xiao-esp32s3", choices=sorted(power.BUILDS))
    parser.add_argument("--battery-mah", type=float, default=power.USAGE_DEFAULTS["battery_mah"])
    parser.add_argument("--worn-h", type=float, default=power.USAGE_DEFAULTS["worn_h"], help="hours worn a day")
    parser.add_argument("--takeoffs-per-day", type=int, default=power.USAGE_DEFAULTS["takeoffs_per_day"])
    cpu = parser.add_mutually_exclusive_group()
    cpu.add_argument("--bench-json", type=Path, metavar="FILE",
                     help="saved output of `lumbo bench device --json` (otherwise the benchmarks are run)")
    cpu.add_argument("--cpu-ms-per-wake", type=float, metavar="MS",
                     help="ESP32 CPU time per wake-up, instead of the benchmarks")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="try another value of one firmware setting, e.g. ble_sync_period_s=900")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _overrides(pairs: list[str], known) -> dict[str, int]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in known:
            raise CommandError(f"--set takes NAME=VALUE with NAME one of {', '.join(known)}; got {pair!r}")
        try:
            out[name] = int(value)
        except ValueError:
            raise CommandError(f"--set {name} needs a whole number, not {value!r}") from None
    return out


def run(args) -> int:
    from lumbo import power
    from lumbo.bench import device
    from lumbo_fw import board

    try:
        found = power.firmware_inputs()
        for name, value in _overrides(args.set, power.INPUTS).items():
            found[name] = {"value": value, "source": "--set on the command line"}
        inputs = {name: entry["value"] for name, entry in found.items()}
        wakes_per_s = inputs["imu_rate_hz"] / inputs["fifo_watermark_samples"]
        if args.cpu_ms_per_wake is not None:
            cpu_ms = args.cpu_ms_per_wake
            cpu_source = "--cpu-ms-per-wake on the command line"
        else:
            if args.bench_json is not None:
                bench = power.load_bench_json(args.bench_json)
                cpu_source = f"{args.bench_json} x ESP32_SLOWDOWN {device.ESP32_SLOWDOWN:g}"
            else:
                try:
                    bench = device.run_all()
                except device.BenchError as exc:
                    raise CommandError(str(exc)) from None
                cpu_source = f"lumbo bench device x ESP32_SLOWDOWN {device.ESP32_SLOWDOWN:g}"
            x64_us = power.cpu_us_per_wake_x64(bench, inputs["fifo_watermark_samples"], wakes_per_s)
            cpu_ms = x64_us * device.ESP32_SLOWDOWN / 1000.0
        kwargs = {"cpu_ms_per_wake": cpu_ms, "i2c_freq_hz": board.board(args.build)["i2c_freq_hz"],
                  "battery_mah": args.battery_mah, "worn_h": args.worn_h, "takeoffs_per_day": args.takeoffs_per_day}
        result = power.budget(args.build, inputs, **kwargs)
        result["advice"] = power.advise(args.build, inputs, **kwargs)
    except power.PowerError as exc:
        raise CommandError(str(exc)) from None
    result["inputs"] = found
    result["inputs"]["cpu_ms_per_wake"] = {"value": round(cpu_ms, 3), "source": cpu_source}
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    verdict = "meets" if result["meets_target"] else "misses"
    print(f"{args.build}: {result['days']:.1f} days on {args.battery_mah:g} mAh worn {args.worn_h:g} h a day "
          f"(average {result['avg_current_ma']:.3f} mA); {verdict} the {power.TARGET_DAYS:g}-day target")
    print(f"  worn {result['worn_current_ma']:.3f} mA = "
          + ", ".join(f"{k} {v:.3f}" for k, v in result["worn_ma_by_part"].items()))
    print(f"  not worn {result['not_worn_current_ma']:.3f} mA = "
          + ", ".join(f"{k} {v:.3f}" for k, v in result["not_worn_ma_by_part"].items()))
    print(f"  {result['wakeups_per_s']:g} wake-ups/s, each {result['i2c_ms_per_wake']:.2f} ms of I2C and "
          f"{result['cpu_ms_per_wake']:.2f} ms of CPU (at most {result['max_cpu_ms_per_wake_for_target']} ms "
          "for the target)")
    print("  settings:")
    for name, entry in found.items():
        print(f"    {name} = {entry['value']}  ({entry['source']})")
    for line in result["advice"]:
        print(f"  to reach {power.TARGET_DAYS:g} days: {line}")
    return 0
