"""Bonding for the BLE service: the stack's bond secrets on the filesystem, and the pairing window.

The stack asks for its secrets with _IRQ_GET_SECRET and hands new ones over with _IRQ_SET_SECRET
(MicroPython's `bluetooth` API); BondStore keeps them in memory and in one file, replaced atomically
(written beside and renamed over), with a CRC so a damaged file is noticed instead of trusted.

New bonds are only accepted while the pairing window is open: a few minutes after the first start (no
bond yet) and after a long press of the button. Outside it, a secret for a peer the store does not know is
refused, and the service refuses the link.
"""

import os
import struct
import time
from binascii import crc32

from micropython import const

PAIRING_WINDOW_S = const(300)  # 5 minutes: time to open the app and press "pair"
PAIRING_WINDOW_MAX_S = const(600)
MAX_SECRETS = const(48)  # a few bonded hosts' keys; more is a pairing spree and is refused
_MAGIC = const(0x42)  # "B": bond file, format 1


class BondStore:
    """Secrets as (sec_type, key, value) entries; persisted on save()."""

    def __init__(self, path):
        self.path = path
        self._entries = []  # [sec_type, key bytes, value bytes]
        self.dirty = False
        self.damaged = False  # the file was there but failed its check; it was ignored
        self._load()

    def _load(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return
        if len(data) < 7 or data[0] != _MAGIC or crc32(data[0:len(data) - 4]) != struct.unpack_from(
                "<I", data, len(data) - 4)[0]:
            self.damaged = True
            return
        count = struct.unpack_from("<H", data, 1)[0]
        at = 3
        entries = []
        for _ in range(count):
            if at + 4 > len(data) - 4:
                self.damaged = True
                return
            sec_type, klen, vlen = struct.unpack_from("<BBH", data, at)
            at += 4
            if at + klen + vlen > len(data) - 4:
                self.damaged = True
                return
            entries.append([sec_type, bytes(data[at:at + klen]), bytes(data[at + klen:at + klen + vlen])])
            at += klen + vlen
        self._entries = entries

    def save(self):
        """Write the secrets if they changed since the last save."""
        if not self.dirty:
            return
        size = 3 + 4
        for entry in self._entries:
            size += 4 + len(entry[1]) + len(entry[2])
        data = bytearray(size)
        data[0] = _MAGIC
        struct.pack_into("<H", data, 1, len(self._entries))
        at = 3
        for sec_type, key, value in self._entries:
            struct.pack_into("<BBH", data, at, sec_type, len(key), len(value))
            at += 4
            data[at:at + len(key)] = key
            at += len(key)
            data[at:at + len(value)] = value
            at += len(value)
        struct.pack_into("<I", data, at, crc32(memoryview(data)[0:at]))
        tmp = self.path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self.path)
        self.dirty = False

    def __len__(self):
        return len(self._entries)

    def has(self, sec_type, key):
        return self._find(sec_type, key) is not None

    def _find(self, sec_type, key):
        for entry in self._entries:
            if entry[0] == sec_type and entry[1] == key:
                return entry
        return None

    def get(self, sec_type, index, key):
        """_IRQ_GET_SECRET: the value for key, or with key None the index-th value of sec_type; else None."""
        if key is None:
            i = 0
            for entry in self._entries:
                if entry[0] == sec_type:
                    if i == index:
                        return entry[2]
                    i += 1
            return None
        entry = self._find(sec_type, bytes(key))
        return None if entry is None else entry[2]

    def set(self, sec_type, key, value, allow_new):
        """_IRQ_SET_SECRET: store (value None deletes). A key not yet stored needs allow_new. True if done."""
        key = bytes(key)
        entry = self._find(sec_type, key)
        if value is None:
            if entry is not None:
                self._entries.remove(entry)
                self.dirty = True
            return True
        if entry is None:
            if not allow_new or len(self._entries) >= MAX_SECRETS:
                return False
            self._entries.append([sec_type, key, bytes(value)])
        else:
            entry[2] = bytes(value)
        self.dirty = True
        return True

    def clear(self):
        self._entries = []
        self.dirty = True


class PairingWindow:
    """Whether new bonds are accepted now. `ticks_ms` is the clock (time.ticks_ms on the board)."""

    def __init__(self, ticks_ms):
        self._ticks_ms = ticks_ms
        self._until_ms = 0
        self._open = False

    def open(self, seconds=PAIRING_WINDOW_S):
        if seconds < 1 or seconds > PAIRING_WINDOW_MAX_S:
            raise ValueError("a pairing window lasts 1 to %d s, not %d" % (PAIRING_WINDOW_MAX_S, seconds))
        self._until_ms = time.ticks_add(self._ticks_ms(), seconds * 1000)
        self._open = True

    def close(self):
        self._open = False

    def now_ms(self):
        """The clock the window runs on (the service times other things with it too)."""
        return self._ticks_ms()

    def is_open(self):
        if self._open:
            if time.ticks_diff(self._until_ms, self._ticks_ms()) <= 0:
                self._open = False
        return self._open
