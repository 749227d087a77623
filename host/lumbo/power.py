"""Battery life of a lumbo build, computed from the firmware's own settings and from datasheet currents.

The model, for one day:

- Worn (``worn_h`` hours, plus ``not_worn_after_s`` after each time the device is taken off, because the
  firmware only notices then): the IMU samples at ``imu_rate_hz`` into its FIFO and interrupts at
  ``fifo_watermark_samples``, so the board wakes ``imu_rate_hz / fifo_watermark_samples`` times a second.
  Each wake-up costs the I2C transfer of the burst (bytes x 9 bits / the bus clock from board.py), the CPU
  time the firmware's benchmarks measure (``lumbo bench device``, times ``ESP32_SLOWDOWN``) and the exit from
  light sleep, all at the awake current; between wake-ups the chip is in light sleep.
- The radio: MicroPython on the ESP32 cannot light-sleep while Bluetooth is active (the controller loses
  its connection; micropython/micropython issue 6396) and has no automatic light sleep. So with
  ``ble_sync_period_s`` = 0 (Bluetooth on all day) the chip idles awake the whole time it is worn. With a
  sync period the radio is turned on for ``ble_sync_window_s`` every period, and once for each prompt.
  While connected, each connection event (every ``ble_conn_interval_ms``) and each notification adds the
  radio's receive and transmit current for the time the packets take on air.
- Not worn: deep sleep, with the IMU's accelerometer in low-power mode to wake the board on motion.

Every current is a named constant below with the document it comes from. Durations that are not from a
datasheet (on-air times, the light-sleep exit) are derived in their comments.
"""

import ast
import json
from pathlib import Path

from lumbo.paths import FIRMWARE_DIR, SHARED_DIR

TARGET_DAYS = 7.0
HOURS_PER_DAY = 24.0

# --- Datasheet and measured currents (mA) ------------------------------------------------------------------
# ESP32-S3: Espressif "ESP32-S3 Series Datasheet", section Current Consumption, low-power modes table:
# light-sleep 240 uA, deep-sleep with RTC memory on 7 uA.
ESP32S3_LIGHT_SLEEP_MA = 0.240
# Seeed Studio "XIAO ESP32S3" wiki, Specification table: the whole board in deep sleep draws 14 uA
# (the chip's 7 uA plus the board's regulator and charger).
XIAO_S3_DEEP_SLEEP_MA = 0.014
# ESP32-S3 awake with the CPU idle at MicroPython's 160 MHz and the radio off. Two bench measurements at 3.3 V
# agree: 31.7 mA on an ESP32-S3-DevKitM-1 (lucidar.me, "Power consumption of ESP32-S3-DevKitM-1") and
# 32.3 mA on an ESP32-S3-DevKitC-1 (ComNets Bremen MoleNet V6 power report).
ESP32S3_AWAKE_MA = 32.0
# ESP32 (classic): Espressif "ESP32 Series Datasheet", table Power Consumption by Power Modes:
# modem-sleep at 160 MHz 27-44 mA (the low end with the CPU mostly idle), light-sleep 0.8 mA,
# deep-sleep with RTC timer and memory 10 uA; RF: Bluetooth TX at 0 dBm 130 mA, RX 95-100 mA.
ESP32_AWAKE_MA = 27.0
ESP32_LIGHT_SLEEP_MA = 0.8
ESP32_DEEP_SLEEP_MA = 0.010
ESP32_BLE_TX_MA = 130.0
ESP32_BLE_RX_MA = 100.0
# The ESP32-S3 datasheet lists its RF currents for Wi-Fi only (RX 88 mA); the ESP-IDF NimBLE power_save
# example (examples/bluetooth/nimble/power_save/README.md) gives 240 mA as the ESP32-S3's peak with BLE on.
# The ESP32 figures above are used for the S3's BLE packets; the peak is far above both and is not spent
# for the length of a packet.
ESP32S3_BLE_TX_MA = ESP32_BLE_TX_MA
ESP32S3_BLE_RX_MA = 88.0
# ST "LSM6DSOX" datasheet (DS12814), Electrical characteristics: gyroscope and accelerometer together in
# high-performance mode 0.55 mA; accelerometer alone in low-power mode at 52 Hz 26 uA (enough to detect
# the motion that wakes the board).
LSM6DSOX_ACTIVE_MA = 0.55
LSM6DSOX_WAKE_ON_MOTION_MA = 0.026
# InvenSense "MPU-6000 and MPU-6050 Product Specification" (PS-MPU-6000A-00 rev 3.4), section 6.4:
# gyroscope + accelerometer 3.8 mA; accelerometer low-power mode at 5 Hz 20 uA.
MPU6050_ACTIVE_MA = 3.8
MPU6050_WAKE_ON_MOTION_MA = 0.020
# Microchip "MCP1825/MCP1825S" datasheet (DS22056), quiescent current 120 uA typical.
MCP1825_QUIESCENT_MA = 0.120
# Fortune Semiconductor "DW01A" datasheet, operating current 3.0 uA typical (the cell protection on the
# TP4056 module); the TP4056 itself draws no more than a few uA from the cell with no USB input.
TP4056_DW01A_DRAIN_MA = 0.004
# Silicon Labs "CP2102/9" datasheet, supply current in USB suspend 80 uA typical (the DevKitC's USB bridge
# stays powered from 3V3 when no cable is in).
CP2102_SUSPEND_MA = 0.080

# --- Durations ---------------------------------------------------------------------------------------------
# Leaving light sleep: the 40 MHz crystal and the PLL restart and the flash wakes; ESP-IDF's sleep code
# budgets a few hundred microseconds for this. 1 ms at the awake current covers it and going back to sleep.
LIGHT_SLEEP_EXIT_S = 0.001
# An empty BLE connection event at 1 Mbit/s: the radio warms up (~140 us), receives the central's 10-byte
# empty packet (80 us), waits T_IFS (150 us) and sends its own (80 us). Receive side ~0.37 ms, transmit
# side 0.08 ms; window widening for clock drift adds tens of us, rounded in.
CONN_EVENT_RX_S = 0.00040
CONN_EVENT_TX_S = 0.00010
# A notification of up to 20 bytes of data: 10 bytes of link-layer and ATT overhead + 20 bytes = 240 us on
# air, then the central's acknowledgement (80 us) after T_IFS.
NOTIFY_TX_S = 0.00024
NOTIFY_RX_S = 0.00023
# Bytes read over I2C per wake-up: 12 per sample (six int16) plus the FIFO status read (address, register,
# 2 status bytes) and the burst's address and register bytes. 9 bit times per byte (8 data + ACK).
I2C_BYTES_PER_SAMPLE = 12
I2C_BYTES_PER_BURST = 6
I2C_BITS_PER_BYTE = 9
# Without a fuel gauge, the cell is spent when the regulator drops out and the ESP32 browns out; a LiPo
# keeps about 15% of its charge below that voltage.
USABLE_FRACTION = 0.85

BUILDS = {
    "xiao-esp32s3": {
        "awake_ma": ESP32S3_AWAKE_MA,
        "light_sleep_ma": ESP32S3_LIGHT_SLEEP_MA,
        "deep_sleep_ma": XIAO_S3_DEEP_SLEEP_MA,
        "ble_tx_ma": ESP32S3_BLE_TX_MA,
        "ble_rx_ma": ESP32S3_BLE_RX_MA,
        "imu_active_ma": LSM6DSOX_ACTIVE_MA,
        "imu_wake_on_motion_ma": LSM6DSOX_WAKE_ON_MOTION_MA,
        # The board's regulator and charger are inside the deep-sleep figure; the battery divider
        # (2 x 220 kOhm, bom-xiao-esp32s3.csv) draws 4.2 V / 440 kOhm.
        "always_ma": 4.2 / 440.0,
    },
    "esp32-devkit": {
        "awake_ma": ESP32_AWAKE_MA,
        "light_sleep_ma": ESP32_LIGHT_SLEEP_MA,
        "deep_sleep_ma": ESP32_DEEP_SLEEP_MA,
        "ble_tx_ma": ESP32_BLE_TX_MA,
        "ble_rx_ma": ESP32_BLE_RX_MA,
        "imu_active_ma": MPU6050_ACTIVE_MA,
        "imu_wake_on_motion_ma": MPU6050_WAKE_ON_MOTION_MA,
        # Regulator, USB bridge, cell protection and the battery divider (2 x 100 kOhm, bom-esp32-devkit.csv).
        "always_ma": MCP1825_QUIESCENT_MA + CP2102_SUSPEND_MA + TP4056_DW01A_DRAIN_MA + 4.2 / 200.0,
    },
}

# --- The firmware's settings ---------------------------------------------------------------------------------
# name -> (where it is defined, value used while the firmware does not define it, why that value)
# Settings rows come from lumbo_shared.settings; constants are module-level NAME = const(N) (or _NAME)
# anywhere in firmware/ or shared/.
INPUTS = {
    "imu_rate_hz": ("setting", None, ""),
    "sit_limit_s": ("setting", None, ""),
    "not_worn_after_s": ("setting", None, ""),
    "fifo_watermark_samples": ("constant", 25, "half a second of samples at 50 Hz"),
    "ble_sync_period_s": ("constant", 0, "0: the radio stays on, which is what a firmware without a sync "
                                         "schedule does"),
    "ble_sync_window_s": ("constant", 10, "long enough to advertise, be connected and send a few minutes' "
                                          "records"),
    "ble_conn_interval_ms": ("constant", 30, "the connection interval BlueZ asks for by default; the "
                                             "peripheral cannot choose it from MicroPython"),
    "ble_notify_per_min": ("constant", 2, "a status and a minute summary"),
}
# What a person does, not what the firmware sets.
USAGE_DEFAULTS = {"battery_mah": 400.0, "worn_h": 8.0, "takeoffs_per_day": 2}


class PowerError(ValueError):
    """The budget cannot be computed as asked; the message says what to give instead."""


def _module_constants(path: Path) -> dict[str, int]:
    """Module-level integer constants of one source file: NAME = N or NAME = const(N)."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as exc:
        raise PowerError(f"{path} does not parse ({exc.msg}, line {exc.lineno}); fix it before budgeting") from None
    found = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        value = node.value
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "const"
                and len(value.args) == 1):
            value = value.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, int) and not isinstance(value.value, bool):
            found[node.targets[0].id] = value.value
    return found


def firmware_inputs(roots: tuple[Path, ...] = (FIRMWARE_DIR, SHARED_DIR)) -> dict[str, dict]:
    """{name: {"value": v, "source": where it came from}} for every input of the model."""
    from lumbo_shared import settings

    defaults = settings.defaults()
    constants: dict[str, list[tuple[int, str]]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            for name, value in _module_constants(path).items():
                constants.setdefault(name.lstrip("_"), []).append((value, str(path.relative_to(root.parent))))
    result = {}
    for name, (kind, fallback, why) in INPUTS.items():
        if name in defaults:
            result[name] = {"value": defaults[name], "source": "lumbo_shared/settings.py default"}
            continue
        if kind == "setting":
            raise PowerError(f"the setting {name} is gone from lumbo_shared/settings.py; the budget needs it")
        seen = constants.get(name.upper(), [])
        values = {v for v, _ in seen}
        if len(values) > 1:
            where = ", ".join(f"{p}={v}" for v, p in seen)
            raise PowerError(f"{name.upper()} is defined with different values ({where}); keep one definition")
        if seen:
            result[name] = {"value": seen[0][0], "source": seen[0][1]}
        else:
            result[name] = {"value": fallback, "source": f"assumed ({why}): the firmware defines no {name.upper()}"}
    return result


def cpu_us_per_wake_x64(bench: dict, samples_per_wake: float, wakes_per_s: float) -> float:
    """Unix-port CPU microseconds per wake-up from `lumbo bench device` figures.

    Keys ending `_us_per_sample` are paid for every sample in the burst, `_us_per_burst` once per wake-up,
    `_us_per_s` once a second (shared among that second's wake-ups).
    """
    per_sample = sum(v for k, v in bench.items() if k.endswith("_us_per_sample"))
    per_burst = sum(v for k, v in bench.items() if k.endswith("_us_per_burst"))
    per_s = sum(v for k, v in bench.items() if k.endswith("_us_per_s"))
    if not any(k.endswith(("_us_per_sample", "_us_per_burst", "_us_per_s")) for k in bench):
        raise PowerError("the benchmark figures have no per-sample, per-burst or per-second CPU cost (keys ending "
                         "_us_per_sample, _us_per_burst or _us_per_s); install the firmware's device benchmarks, "
                         "or give the ESP32 CPU time per wake-up with --cpu-ms-per-wake")
    return per_sample * samples_per_wake + per_burst + per_s / wakes_per_s


def budget(build: str, inputs: dict[str, int], cpu_ms_per_wake: float, i2c_freq_hz: int,
           battery_mah: float = 400.0, worn_h: float = 8.0, takeoffs_per_day: float = 2) -> dict:
    """The day's charge, the average current and the days on one charge. All inputs in their named units."""
    if build not in BUILDS:
        raise PowerError(f"unknown build {build!r}; choose one of {', '.join(sorted(BUILDS))}")
    if battery_mah <= 0:
        raise PowerError("battery_mah must be positive")
    if not 0 <= worn_h <= HOURS_PER_DAY:
        raise PowerError(f"worn_h={worn_h} is not between 0 and 24 hours")
    for name in ("imu_rate_hz", "fifo_watermark_samples", "ble_conn_interval_ms", "sit_limit_s"):
        if inputs[name] <= 0:
            raise PowerError(f"{name} must be positive, not {inputs[name]}")
    c = BUILDS[build]
    rate = inputs["imu_rate_hz"]
    watermark = inputs["fifo_watermark_samples"]
    wakes_per_s = rate / watermark
    i2c_s = (watermark * I2C_BYTES_PER_SAMPLE + I2C_BYTES_PER_BURST) * I2C_BITS_PER_BYTE / i2c_freq_hz
    cpu_s = cpu_ms_per_wake / 1000.0
    busy_fraction = wakes_per_s * (i2c_s + cpu_s + LIGHT_SLEEP_EXIT_S)
    if busy_fraction >= 1:
        raise PowerError(f"at {rate} Hz with {watermark} samples a burst the board would be busy "
                         f"{busy_fraction:.0%} of the time; the CPU cannot keep up")

    events_per_s = 1000.0 / inputs["ble_conn_interval_ms"]
    radio_ma = (events_per_s * (c["ble_rx_ma"] * CONN_EVENT_RX_S + c["ble_tx_ma"] * CONN_EVENT_TX_S)
                + inputs["ble_notify_per_min"] / 60.0 * (c["ble_tx_ma"] * NOTIFY_TX_S + c["ble_rx_ma"] * NOTIFY_RX_S))
    worn_s = worn_h * 3600.0 + takeoffs_per_day * inputs["not_worn_after_s"]
    worn_s = min(worn_s, HOURS_PER_DAY * 3600.0)
    if inputs["ble_sync_period_s"] == 0:
        # Bluetooth always on: no light sleep, so the chip is awake between wake-ups too.
        radio_on_fraction = 1.0
        cpu_ma = c["awake_ma"]
    else:
        prompts_per_s = 1.0 / inputs["sit_limit_s"]
        radio_on_fraction = min(1.0, inputs["ble_sync_window_s"] * (1.0 / inputs["ble_sync_period_s"]
                                                                    + prompts_per_s))
        awake_fraction = min(1.0, busy_fraction + radio_on_fraction)
        cpu_ma = c["awake_ma"] * awake_fraction + c["light_sleep_ma"] * (1 - awake_fraction)
    worn_parts = {
        "cpu_and_sleep": cpu_ma,
        "imu": c["imu_active_ma"],
        "radio": radio_ma * radio_on_fraction,
        "board": c["always_ma"],
    }
    off_parts = {"deep_sleep": c["deep_sleep_ma"], "imu": c["imu_wake_on_motion_ma"], "board": c["always_ma"]}
    worn_ma = sum(worn_parts.values())
    off_ma = sum(off_parts.values())
    off_s = HOURS_PER_DAY * 3600.0 - worn_s
    mah_per_day = (worn_ma * worn_s + off_ma * off_s) / 3600.0
    days = battery_mah * USABLE_FRACTION / mah_per_day
    # Everything is linear in the CPU time per wake-up: solve for the most that still lasts TARGET_DAYS.
    if inputs["ble_sync_period_s"] == 0:
        cpu_slope_mah = 0.0  # the chip is awake anyway
    else:
        cpu_slope_mah = wakes_per_s * (c["awake_ma"] - c["light_sleep_ma"]) * worn_s / 3600.0  # mAh per s of CPU
    spare_mah = battery_mah * USABLE_FRACTION / TARGET_DAYS - mah_per_day
    if cpu_slope_mah > 0:
        max_cpu_ms = cpu_ms_per_wake + spare_mah / cpu_slope_mah * 1000.0
    else:
        max_cpu_ms = float("inf") if spare_mah >= 0 else 0.0
    return {
        "build": build,
        "battery_mah": battery_mah,
        "avg_current_ma": round(mah_per_day / HOURS_PER_DAY, 4),
        "days": round(days, 2),
        "target_days": TARGET_DAYS,
        "meets_target": days >= TARGET_DAYS,
        "worn_h_per_day": worn_h,
        "worn_current_ma": round(worn_ma, 4),
        "not_worn_current_ma": round(off_ma, 4),
        "mah_per_day": round(mah_per_day, 3),
        "wakeups_per_s": round(wakes_per_s, 3),
        "i2c_ms_per_wake": round(i2c_s * 1000, 3),
        "cpu_ms_per_wake": round(cpu_ms_per_wake, 3),
        "max_cpu_ms_per_wake_for_target": round(max(0.0, max_cpu_ms), 3) if max_cpu_ms != float("inf") else None,
        "worn_ma_by_part": {k: round(v, 4) for k, v in worn_parts.items()},
        "not_worn_ma_by_part": {k: round(v, 4) for k, v in off_parts.items()},
    }


# Changes the firmware can make, tried in this order when the budget misses the target.
CANDIDATE_CHANGES = (
    ("ble_sync_period_s", (1800, 900, 600, 300)),
    ("fifo_watermark_samples", (50, 75)),
    ("ble_conn_interval_ms", (100, 500)),
)


def advise(build: str, inputs: dict[str, int], **kwargs) -> list[str]:
    """Single setting changes that reach TARGET_DAYS, one line each, for a budget that misses it."""
    base = budget(build, inputs, **kwargs)
    if base["meets_target"]:
        return []
    lines = []
    for name, values in CANDIDATE_CHANGES:
        for value in values:
            changed = dict(inputs, **{name: value})
            try:
                result = budget(build, changed, **kwargs)
            except PowerError:
                continue
            if result["meets_target"]:
                lines.append(f"set {name.upper()} = {value} (was {inputs[name]}): {result['days']:.1f} days")
                break
    if not lines:
        lines.append("no single setting change reaches the target; the CPU time per wake-up or the hardware "
                     "must change")
    return lines


def load_bench_json(path: Path) -> dict:
    """Figures from `lumbo bench device --json` saved to a file (the last JSON object in it)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PowerError(f"cannot read {path}: {exc.strerror}") from None
    lines = [line for line in text.splitlines() if line.strip().startswith("{")]
    if not lines:
        raise PowerError(f"{path} holds no JSON object; save the output of `lumbo bench device --json` to it")
    try:
        data = json.loads(lines[-1])
    except ValueError as exc:
        raise PowerError(f"{path} is not the output of `lumbo bench device --json`: {exc}") from None
    if not isinstance(data, dict):
        raise PowerError(f"{path} holds JSON, but not an object of benchmark figures")
    return data
