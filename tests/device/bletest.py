"""The rig for GATT service tests: the service wired to a modelled stack (fakeble), a log, a settings
store, bonds and a pairing window on a fresh filesystem, with a clock the test moves."""

import os
import sys

from fakeble import FakeBLE, FakeBluetoothModule

from devtest import ON_MICROPYTHON
from lumbo_fw.ble_security import BondStore, PairingWindow
from lumbo_fw.ble_service import BleService
from lumbo_fw.devlog import DevLog
from lumbo_fw.settings_store import SettingsStore
from lumbo_shared import codec, vocab

WORK = b"\xc0\x01\x02\x03\x04\x05"
HOME = b"\xc0\x0a\x0b\x0c\x0d\x0e"
STRANGER = b"\xc0\x66\x66\x66\x66\x66"
_saved = {"dirs": []}


def fresh_dir():
    """An empty directory on the host's filesystem (the GATT tests do not need littlefs, and the RAM flash
    would not fit beside them in the heap)."""
    if ON_MICROPYTHON:
        import random

        path = "/tmp/lumbo-ble-%08x" % random.getrandbits(32)
        os.mkdir(path)
    else:
        import tempfile

        path = tempfile.mkdtemp(prefix="lumbo-ble-")
    _saved["dirs"].append(path)
    return path


def _remove_tree(path):
    for name in os.listdir(path):
        child = path + "/" + name
        if os.stat(child)[0] & 0x4000:
            _remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def cleanup():
    while _saved["dirs"]:
        _remove_tree(_saved["dirs"].pop())


def install_fake_bluetooth():
    _saved["bluetooth"] = sys.modules.get("bluetooth")
    sys.modules["bluetooth"] = FakeBluetoothModule


def restore():
    if _saved.get("bluetooth") is None:
        sys.modules.pop("bluetooth", None)
    else:
        sys.modules["bluetooth"] = _saved["bluetooth"]
    cleanup()


class Actions:
    def __init__(self):
        self.calls = []

    def calibrate(self):
        self.calls.append(("calibrate",))
        raise ValueError("hold still: the wearer moved during calibration")

    def set_time(self, epoch_s, utc_offset_min):
        self.calls.append(("set_time", epoch_s, utc_offset_min))

    def snooze(self, duration_s):
        self.calls.append(("snooze", duration_s))

    def raw_stream(self, on):
        self.calls.append(("raw_stream", on))

    def factory_reset(self):
        self.calls.append(("factory_reset",))

    def settings_changed(self, values):
        self.calls.append(("settings_changed", values["sit_limit_s"]))


class Rig:
    def __init__(self):
        base = fresh_dir()
        root = base + "/log"
        self.base = base
        self.now = [5000]
        self.ble = FakeBLE()
        self.log = DevLog(root, segment_records=16, max_segments=4)
        self.store = SettingsStore(base + "/settings")
        self.bonds = BondStore(base + "/bonds")
        self.pairing = PairingWindow(self.ticks_ms)
        self.actions = Actions()
        self.svc = BleService(self.ble, self.log, self.store, self.bonds, self.pairing, self.actions,
                              adv_interval_us=20000)
        self.svc.start()
        self.h = self.svc.handles

    def ticks_ms(self):
        return self.now[0]

    def bonded(self, addr=WORK, mtu=247):
        conn = self.ble.connect(addr)
        self.ble.pair(conn)
        self.ble.exchange_mtu(conn, mtu)
        return conn

    def results(self, conn, name):
        return [codec.decode(p).first("result").fields for p in self.ble.taken(conn, self.h[name])]

    def sync(self, conn, host_id, from_seq, polls=200):
        """Ask for the history from from_seq; return what arrived: records as Rec, other items whole."""
        self.ble.write(conn, self.h["history"], codec.encode([
            ("sync_start", {"host_id": host_id, "from_seq": from_seq})]))
        items = []
        for _ in range(polls):
            self.svc.poll()
            for payload in self.ble.taken(conn, self.h["history"]):
                assert len(payload) <= self.ble.conns[conn]["mtu"] - 3
                for item in codec.decode(payload).items:
                    items.append(Rec(item) if item.name in ("event", "minute") else item)
            if items and items[-1].name in ("sync_end", "result"):
                break
        return items


class Rec:
    """A record item reduced to what sync tests compare (Item keeps a dict per record: too much heap)."""

    def __init__(self, item):
        self.name = item.name
        self.seq = item["seq"]
        self.kind = item["kind"] if item.name == "event" else None

    def __getitem__(self, key):
        return self.seq if key == "seq" else self.kind


def events(log, n, t0=1700000000):
    for i in range(n):
        log.event(t0 + 60 * i, vocab.EVENT_SIT_TO_STAND if i % 2 else vocab.EVENT_STAND_TO_SIT, i, 0)
