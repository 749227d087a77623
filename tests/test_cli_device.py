"""The `lumbo` commands that talk to the device, run as a wearer runs them, against the emulated device
(the firmware's GATT service under `micropython`) on the emulated radio in its own process: the commands
find it through $LUMBO_BLE_RADIO, as they would with `python -m lumbo.emu.launch`."""

import asyncio
import json
import threading
import time

import numpy as np
import pytest
from hostdevice import ADDRESS, DEVICE, HEAP, IRK, fill_log, minute_fields

from lumbo import ble, recording
from lumbo.cli import main
from lumbo.emu import launch
from lumbo.store import Store
from lumbo_shared import vocab

pytestmark = pytest.mark.timeout(120)


class BackgroundEmulation:
    """launch.Emulation (radio and bridge processes, the firmware) driven from a thread of its own, so the
    test can run the blocking CLI meanwhile."""

    def __init__(self, state, x64_build):
        self.state = state
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emu = launch.Emulation(DEVICE, ["--state", str(state)], path=[x64_build], heapsize=HEAP,
                                    address=ADDRESS, irk=IRK)

    def call(self, coro, timeout_s=30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def start(self):
        self.call(self.emu.start())
        self.call(self.emu.firmware.wait_for("^ready"))
        return self

    def play(self, *lines):
        """Have the device's posture code do these things (see lumbo_device.py); wait until it has."""
        start = len(self.emu.firmware.lines)
        tmp = self.state / "inbox.tmp"
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(self.state / "inbox")
        for line in lines:
            self.call(self.emu.firmware.wait_for(f"^did {line}$", 5, start=start))

    def wait_output(self, pattern, timeout_s=5.0):
        return self.call(self.emu.firmware.wait_for(pattern, timeout_s), timeout_s + 5)

    def stop(self):
        self.call(self.emu.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def device(x64_build, tmp_path_factory):
    state = tmp_path_factory.mktemp("device")
    t0 = int(time.time()) - 7200
    fill_log(state, [("minute", minute_fields(t0 + 60 * i)) for i in range(60)])
    emulation = BackgroundEmulation(state, x64_build).start()
    yield emulation
    emulation.stop()


@pytest.fixture(scope="module")
def home(device, tmp_path_factory):
    """A wearer's files (log, settings, the emulated radio's bonds), paired with the device once."""
    folder = tmp_path_factory.mktemp("home")
    env = {"LUMBO_DB": str(folder / "lumbo.sqlite3"), "LUMBO_CONFIG": str(folder / "config.json"),
           ble.RADIO_ENV: device.emu.radio.transport}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        assert main(["pair", "--scan-s", "5"]) == 0
    return folder, env


@pytest.fixture
def wearer(home, monkeypatch):
    folder, env = home
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return folder


def in_thread(argv):
    """Run `lumbo ARGV` in a thread; returns (thread, result holder)."""
    result = {}

    def target():
        result["code"] = main(argv)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def test_pair_remembered_the_identity_and_scan_shows_it_paired(wearer, capsys):
    with Store(wearer / "lumbo.sqlite3") as store:
        paired = store.paired_device()
        assert paired.address == ADDRESS and paired.bonded
    assert (wearer / "lumbo.sqlite3.ble-keys.json").exists()
    assert main(["scan", "--seconds", "1", "--json"]) == 0
    devices = json.loads(capsys.readouterr().out)["devices"]
    assert [(d["address"], d["paired"]) for d in devices] == [(ADDRESS, True)]


def test_status_live_reads_the_device_now(wearer, device, capsys):
    device.play(f"status {vocab.STATE_SITTING} 1700")
    assert main(["status", "--live", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    (status,) = [d["status"] for d in info["devices"] if d["address"] == ADDRESS]
    assert status["source"] == "device" and status["posture"] == "sitting"
    assert status["tilt_deg"] == 17.0 and status["battery_pct"] == 90
    # Without --live: the status as last seen, with when.
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "live (" in text and "sitting for" in text and "pelvic tilt +17.0°" in text and "battery 90%" in text


def test_config_set_is_validated_and_reaches_the_device(wearer, device, capsys):
    assert main(["config", "set", "snooze_s", "900"]) == 0
    out = capsys.readouterr().out
    assert "sent to the device" in out
    device.wait_output("^settings .*snooze_s=900")
    assert main(["config", "get", "snooze_s", "--device"]) == 0
    assert capsys.readouterr().out.strip() == "900"
    # Out of range: refused before anything is saved or sent.
    assert main(["config", "set", "snooze_s", "5"]) == 1
    assert "snooze_s" in capsys.readouterr().err
    assert json.loads((wearer / "config.json").read_text())["snooze_s"] == 900


@pytest.mark.slow
def test_calibrate_guides_shows_the_tilt_and_says_the_result(wearer, device, capsys):
    device.play(f"status {vocab.STATE_SITTING} 1500")
    thread, result = in_thread(["calibrate", "--hold-s", "2", "--timeout-s", "20"])
    time.sleep(1.5)  # the wearer reads the first step, then stands up: 4 degrees off the old upright
    device.play(f"status {vocab.STATE_STANDING} 400")
    device.wait_output("^action calibrate$", 15)
    time.sleep(2.5)  # after the upright is set, the wearer sits down again
    device.play(f"status {vocab.STATE_SITTING} 1600")
    thread.join(30)
    out = capsys.readouterr().out
    assert result["code"] == 0, out
    assert "Step 1 of 3" in out and "Step 3 of 3" in out
    assert "standing  " in out and "+4.0°" in out  # the live gauge before calibrating
    assert "Done: your upright is set. Standing now reads +0.0° (it read +4.0° before)." in out
    # Sitting at 16 degrees raw is 12 degrees back from the new upright.
    assert "Sitting, your pelvis tilts 12.0° back" in out and "usual range" in out


def test_record_writes_the_raw_stream_as_a_recording(wearer, device, tmp_path, capsys):
    out_file = tmp_path / "raw.csv"
    assert main(["record", str(out_file), "--seconds", "1.5"]) == 0
    assert "wrote" in capsys.readouterr().out
    rec = recording.read(out_file)
    n = len(rec)
    assert 40 <= n <= 200
    # The device sends sample k as ax = k mod 16384 counts at 16384 counts per g, and so on (lumbo_device.py);
    # k counts from the first sample it ever streamed, so find it from the first row.
    k0 = round(rec.accel_g[0, 0] * 16384)
    k = k0 + np.arange(n)
    assert np.allclose(rec.accel_g[:, 0], (k % 16384) / 16384, atol=1e-6)
    assert np.allclose(rec.accel_g[:, 1], -(k % 256) / 16384, atol=1e-6)
    assert np.allclose(rec.accel_g[:, 2], 1.0)
    assert np.allclose(rec.gyro_dps[:, 0], (k % 131) / 131, atol=1e-4)
    assert np.allclose(rec.gyro_dps[:, 2], -(k % 100) / 131, atol=1e-4)
    # Sample times from the device's clock: 20 ms apart, across its 2**30 us wrap.
    assert np.allclose(np.diff(rec.t_s), 0.02, atol=1e-6)
    assert rec.meta["rate_hz"] == "50" and rec.meta["lost_notifications"] == "0"
    device.wait_output("^action raw_stream 0$")


@pytest.mark.slow
def test_run_syncs_shows_prompts_and_stops_when_told(wearer, device, capsys):
    thread, result = in_thread(["run", "--no-live", "--notify", "terminal", "--seconds", "5"])
    time.sleep(2.5)
    device.play(f"event {vocab.EVENT_PROMPT} 1800 1")
    thread.join(30)
    out = capsys.readouterr().out
    assert result["code"] == 0, out
    assert "synced" in out and "Time for a break: 30 min sitting" in out
    with Store(wearer / "lumbo.sqlite3") as store:
        assert len(store.minutes(0, 2**40)) == 60
        assert store.prompts(0, 2**40)[-1][3] == "terminal"


def test_commands_that_need_the_device_wait_for_lumbo_run(wearer, capsys):
    from lumbo.link.lock import RunLock

    lock = RunLock(wearer / "lumbo.sqlite3")
    held = threading.Event()
    release = threading.Event()

    def hold():  # another process would hold it; a thread with its own descriptor does the same with flock
        assert lock.acquire()
        held.set()
        release.wait(10)
        lock.release()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        assert main(["calibrate"]) == 1
        assert "`lumbo run` is connected to the device" in capsys.readouterr().err
        assert main(["config", "set", "sit_limit_s", "2400"]) == 0
        assert "lumbo run` is connected and sends it within a few seconds" in capsys.readouterr().out
        assert main(["run", "--seconds", "1"]) == 1
        assert "another `lumbo run` is using this log" in capsys.readouterr().err
    finally:
        release.set()
        thread.join(5)


def test_a_paired_computer_can_open_the_pairing_window_for_another(wearer, device, capsys):
    from lumbo_shared import protocol

    # A restart with a bond stored: the window of the first start stays closed.
    device.call(device.emu.stop_firmware())
    device.call(device.emu.start_firmware())
    device.wait_output("^ready")
    assert main(["status", "--live", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)["devices"][0]["status"]["flags"]
    assert not before & protocol.STATUS_FLAG_PAIRING_OPEN
    assert main(["pair", "--allow-another", "60"]) == 0
    assert "accepts a new computer for 60 s" in capsys.readouterr().out
    assert main(["status", "--live", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)["devices"][0]["status"]["flags"]
    assert after & protocol.STATUS_FLAG_PAIRING_OPEN
    assert main(["pair", "--allow-another", "0"]) == 1
    assert "1 to 600" in capsys.readouterr().err
