"""The device side of lumbo's GATT protocol, at the level of bleak's client calls, for the host's sync
logic: a log of records with sequence numbers, sync_start/sync_ack, results for commands, status and
live events. It speaks the real wire format (lumbo_shared.protocol); only the radio is left out. It can
drop or repeat notifications and forget its oldest records, as a real link and a full ring do."""

import asyncio

from lumbo_shared import codec, protocol


class GattDevice:
    def __init__(self, records, *, mtu=247):
        self.records = dict(records)  # seq -> ("minute"|"event", fields)
        self.oldest_seq = min(self.records) if self.records else 0
        self.mtu = mtu
        self.handlers = {}
        self.acks = []
        self.sync_starts = []
        self.commands = []
        self.settings = {}
        self.drop_seqs = set()  # seqs whose notification is lost the first time it is sent
        self.repeat_seqs = set()  # seqs notified twice
        self.is_connected = True
        self.log_id = 0x5EED
        self.history_mtu_ok = True  # False: answer sync_start with mtu_too_small, as over a 23-byte MTU
        self.status = {"state": 1, "tilt_cdeg": 1500, "bout_s": 600, "battery_pct": 80, "flags": 0,
                       "head_seq": self.head(), "t_s": 0}

    def head(self):
        return max(self.records) + 1 if self.records else 0

    # bleak.BleakClient's public methods the host uses
    async def start_notify(self, uuid, callback):
        self.handlers[uuid] = callback

    async def read_gatt_char(self, uuid):
        if uuid == protocol.STATUS_UUID:
            self.status["head_seq"] = self.head()
            return bytearray(codec.encode([("status", self.status)]))
        raise KeyError(uuid)

    async def write_gatt_char(self, uuid, data, response=True):
        message = codec.decode(bytes(data))
        for item in message.items:
            if item.name == "sync_start":
                self.sync_starts.append(item["from_seq"])
                if not self.history_mtu_ok:
                    self._result(protocol.HISTORY_UUID, item.code, protocol.RESULT_MTU_TOO_SMALL)
                    continue
                asyncio.get_running_loop().call_soon(lambda f=item["from_seq"]: asyncio.ensure_future(
                    self._stream(f)))
            elif item.name == "sync_ack":
                self.acks.append(item["acked_seq"])
            elif item.name == "setting":
                self.settings[protocol.setting_name(item["setting_id"])] = item["value"]
                self._result(uuid, item.code, protocol.RESULT_OK)
            else:
                self.commands.append((item.name, dict(item.fields)))
                self._result(uuid, item.code, protocol.RESULT_OK)

    def _notify(self, uuid, payload):
        handler = self.handlers.get(uuid)
        if handler is not None:
            handler(None, bytearray(payload))

    def reset_log(self, log_id, records):
        """A factory reset: a new log with a new id, numbered from the start again."""
        self.log_id = log_id
        self.records = dict(records)
        self.oldest_seq = min(self.records) if self.records else 0

    def _result(self, uuid, code, status):
        self._notify(uuid, codec.encode([("result", {"request": code, "status": status, "detail": 0})]))

    async def _stream(self, from_seq):
        # One record per notification, as the device sends them at the default MTU.
        start = max(from_seq, self.oldest_seq)
        for seq in range(start, self.head()):
            if seq not in self.records:
                continue
            if seq in self.drop_seqs:
                self.drop_seqs.discard(seq)
                continue
            name, fields = self.records[seq]
            payload = codec.encode([(name, fields)])
            self._notify(protocol.HISTORY_UUID, payload)
            if seq in self.repeat_seqs:
                self._notify(protocol.HISTORY_UUID, payload)
            await asyncio.sleep(0)
        end = {"next_seq": self.head(), "oldest_seq": self.oldest_seq, "lost": 0, "overwritten": 0, "corrupt": 0,
               "log_id": self.log_id}
        self._notify(protocol.HISTORY_UUID, codec.encode([("sync_end", end)]))

    def live_event(self, seq, t_s, kind, a=0, b=0):
        fields = {"seq": seq, "t_s": t_s, "kind": kind, "a": a, "b": b}
        self.records[seq] = ("event", fields)
        self._notify(protocol.EVENTS_UUID, codec.encode([("event", fields)]))


def day_records(first_seq, t0, count):
    """count records alternating minute summaries and events, seq first_seq.., a minute apart."""
    out = {}
    for i in range(count):
        seq = first_seq + i
        if i % 3 == 2:
            out[seq] = ("event", {"seq": seq, "t_s": t0 + 60 * i, "kind": 1, "a": i, "b": 0})
        else:
            out[seq] = ("minute", {"seq": seq, "t_s": t0 + 60 * i, "tilt_mean_cdeg": 1200, "tilt_min_cdeg": 900,
                                   "tilt_max_cdeg": 1500, "transitions": 1,
                                   "seconds_per_state": (0, 50, 10, 0, 0, 0)})
    return out
