"""The wearer's settings on the device: current values, changed only as a whole valid set, kept in a file.

Values are checked against lumbo_shared.settings (the table both sides use). The file holds the
configuration characteristic's payload (version byte and one setting item per setting, see
lumbo_shared.protocol) followed by a CRC-32, and is replaced atomically (written beside, renamed over).
A missing or damaged file gives the defaults; `damaged` says which happened.
"""

import os
import struct
from binascii import crc32

from lumbo_shared import protocol, settings

_SETTING_ITEM = protocol.ITEM_HEADER_SIZE + protocol.body_size(protocol.ITEM_SETTING)


class SettingsStore:
    def __init__(self, path):
        self.path = path
        self.values = settings.defaults()
        self.damaged = False
        self.dirty = False
        self._load()

    def payload_size(self):
        return 1 + len(self.values) * _SETTING_ITEM

    def encode_into(self, buf, offset=0):
        """Write the configuration payload (version byte, then every setting) at buf[offset:]."""
        buf[offset] = protocol.VERSION_BYTE
        at = offset + 1
        for sid, name in protocol.settings_in_order():
            at = protocol.pack_item(buf, at, protocol.ITEM_SETTING, sid, self.values[name])
        return at

    def _load(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return
        try:
            if len(data) < 5 or crc32(data[0:len(data) - 4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
                raise protocol.ProtocolError("CRC mismatch")
            payload = data[0:len(data) - 4]
            protocol.check_version(payload)
            changes = {}
            for code, body, length in protocol.iter_items(payload):
                if code == protocol.ITEM_SETTING:
                    sid, value = protocol.unpack_fields(code, payload, body, length)
                    name = protocol.setting_name(sid)
                    if name is not None:
                        changes[name] = value
            self.values = settings.validate_all(changes)
        except (protocol.ProtocolError, settings.SettingError):
            self.damaged = True
            self.values = settings.defaults()

    def update(self, changes):
        """Apply {name: value} if the resulting set is valid; raise SettingError and change nothing if not."""
        merged = dict(self.values)
        for name in changes:
            settings.validate(name, changes[name])
            merged[name] = changes[name]
        self.values = settings.validate_all(merged)
        self.dirty = True
        return self.values

    def reset(self):
        self.values = settings.defaults()
        self.dirty = True

    def save(self):
        if not self.dirty:
            return
        data = bytearray(self.payload_size() + 4)
        end = self.encode_into(data, 0)
        struct.pack_into("<I", data, end, crc32(memoryview(data)[0:end]))
        tmp = self.path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self.path)
        self.dirty = False
