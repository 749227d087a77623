"""One connection to the device, on bleak's public client API: subscribe, set the clock, send settings,
sync the history with acknowledgements and gap re-requests, and pass live status and events on.

The history sync: first the host learns which log the device holds (a sync_start from the device's head
answers with sync_end alone, carrying the log's id and its oldest record), so that records of a log that
started again after a factory reset are never taken for records already stored. Then it writes
sync_start(from the first record it lacks); the device notifies minute, event and gap items, then
sync_end. Records are stored in batches; after each batch the host acknowledges the highest sequence
number up to which it holds everything. Records missing in the middle are asked for again from the first
gap, a bounded number of times; records the device reports overwritten or damaged are marked lost and not
asked for again.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from lumbo.link import wire
from lumbo.shared import codec, protocol, vocab
from lumbo.store import Event, Minute, Store
from lumbo.store.store import LOG_LEARNED, LOG_NEW

# Records stored per commit during a sync: big enough that the commit (an fsync) is cheap per record,
# small enough that a dropped link loses little unacknowledged work.
SYNC_BATCH = 256
# Rounds of asking again for records still missing after a sync; each round re-reads from the first
# gap, so a few rounds cover a link that drops notifications now and then.
MAX_GAP_ROUNDS = 3
# The device answers a command within one connection interval or two; allow for a slow, busy link.
COMMAND_TIMEOUT_S = 5.0
# Longest quiet spell inside a sync before the host treats it as stalled (a 14-day backlog streams
# steadily, so silence this long means the link is gone).
SYNC_IDLE_TIMEOUT_S = 10.0
# A live prompt older than this (seen only after a reconnect) is logged but not shown.
PROMPT_FRESH_S = 300


class LinkError(RuntimeError):
    """The device did something the host cannot go on with; the message says what."""


class DeviceRefused(LinkError):
    """The device answered a command with an error result."""


class MtuTooSmall(LinkError):
    """The link's ATT MTU is too small for the history (the device answered sync_start with
    mtu_too_small). Live status, events and commands still work over it."""


class SyncResult(NamedTuple):
    received: int  # records received (new or not)
    new: int
    duplicates: int
    lost: int  # records marked lost during this sync
    gaps_left: list[tuple[int, int]]
    acked_seq: int
    rounds: int
    spooled: int
    log_id: int | None  # the device log's id from its last sync_end


class Session:
    def __init__(
        self,
        client: Any,  # a connected bleak.BleakClient (or one with the same public methods)
        store: Store,
        address: str,
        host_id: int,
        *,
        say: Callable[[str], Any] = print,
        clock: Callable[[], float] = time.time,
        on_status: Callable[[wire.Status], Any] | None = None,
        on_event: Callable[[Event], Any] | None = None,
        on_prompt: Callable[[Event], Any] | None = None,
        on_progress: Callable[[int, int], Any] | None = None,
        on_raw: Callable[[codec.Item], Any] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.address = address
        self.host_id = host_id
        self.say = say
        self.clock = clock
        self.on_status = on_status
        self.on_event = on_event
        self.on_prompt = on_prompt
        self.on_progress = on_progress
        self.on_raw = on_raw
        self.status: wire.Status | None = None
        self.log_id: int | None = None  # the device log's id, once identify() has asked
        self._log_known = asyncio.Event()  # live events wait for it, so they land in the right log
        self._history: asyncio.Queue[codec.Item] = asyncio.Queue()
        self._results: asyncio.Queue[codec.Item] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.decode_errors = 0
        self.acked_seq = -1
        self.oldest_seq = 0
        self._prompts_delivered: set[int] = set()
        self._synced_prompts: list[Event] = []

    # -- notifications --------------------------------------------------------------------------------

    def _decode(self, data: bytes | bytearray, where: str) -> list[codec.Item]:
        try:
            return codec.decode(bytes(data)).items
        except protocol.ProtocolError as exc:
            self.decode_errors += 1
            self.say(f"ignored a malformed {where} notification from the device: {exc}")
            return []

    def _on_history(self, _sender: Any, data: bytearray) -> None:
        for item in self._decode(data, "history"):
            self._history.put_nowait(item)

    def _on_raw(self, _sender: Any, data: bytearray) -> None:
        for item in self._decode(data, "raw stream"):
            if item.name == "raw" and self.on_raw is not None:
                self.on_raw(item)

    def _on_result(self, _sender: Any, data: bytearray) -> None:
        for item in self._decode(data, "result"):
            if item.name == "result":
                self._results.put_nowait(item)

    def _on_status(self, _sender: Any, data: bytearray) -> None:
        for item in self._decode(data, "status"):
            if item.name == "status":
                self.status = wire.status(item)
                if self.on_status is not None:
                    self.on_status(self.status)

    def _on_event(self, _sender: Any, data: bytearray) -> None:
        for item in self._decode(data, "event"):
            if item.name == "event":
                self._spawn(self._live_event(wire.event(item)))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _live_event(self, event: Event) -> None:
        await self._log_known.wait()
        self.store.ingest(self.address, events=[event])
        if self.on_event is not None:
            self.on_event(event)
        if event.kind == vocab.EVENT_PROMPT:
            await self._deliver_prompt(event)

    async def _deliver_prompt(self, event: Event) -> None:
        """Hand a prompt to on_prompt once, if it is fresh: live, or synced soon after it was logged (a
        device that keeps its radio off between syncs wakes it for a prompt, and the host may connect
        only after the event was logged)."""
        if self.on_prompt is None or abs(self.clock() - event.t_s) > PROMPT_FRESH_S:
            return
        if event.seq in self._prompts_delivered or self.store.prompt_handled(self.address, event.seq):
            return
        self._prompts_delivered.add(event.seq)
        result = self.on_prompt(event)
        if asyncio.iscoroutine(result):
            await result

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    # -- setting up -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to everything the host listens to and read the status once."""
        await self.client.start_notify(protocol.HISTORY_UUID, self._on_history)
        await self.client.start_notify(protocol.CONTROL_UUID, self._on_result)
        await self.client.start_notify(protocol.CONFIG_UUID, self._on_result)
        await self.client.start_notify(protocol.STATUS_UUID, self._on_status)
        await self.client.start_notify(protocol.EVENTS_UUID, self._on_event)
        self._on_status(None, await self.client.read_gatt_char(protocol.STATUS_UUID))

    async def _command(self, uuid: str, payload: bytes, what: str) -> None:
        while not self._results.empty():
            self._results.get_nowait()
        await self.client.write_gatt_char(uuid, payload, response=True)
        try:
            result = await asyncio.wait_for(self._results.get(), COMMAND_TIMEOUT_S)
        except TimeoutError:
            raise LinkError(f"the device did not answer {what} within {COMMAND_TIMEOUT_S:.0f} s") from None
        if result["status"] != protocol.RESULT_OK:
            detail = result["detail"]
            name = protocol.setting_name(detail) if result["request"] == protocol.ITEM_SETTING else None
            raise DeviceRefused(f"the device refused {what}: {wire.result_name(result['status'])}"
                                + (f" ({name})" if name else ""))

    async def read_settings(self) -> dict[str, int]:
        """The settings in force on the device (the configuration characteristic), by name."""
        message = codec.decode(bytes(await self.client.read_gatt_char(protocol.CONFIG_UUID)))
        values = {}
        for item in message.items:
            if item.name == "setting":
                name = protocol.setting_name(item["setting_id"])
                if name is not None:
                    values[name] = item["value"]
        return values

    async def read_status(self) -> wire.Status:
        self._on_status(None, await self.client.read_gatt_char(protocol.STATUS_UUID))
        if self.status is None:
            raise LinkError("the device's status could not be read")
        return self.status

    async def set_clock(self, utc_offset_min: int | None = None) -> None:
        now = self.clock()
        if utc_offset_min is None:
            offset = time.localtime(now).tm_gmtoff // 60
        else:
            offset = utc_offset_min
        await self._command(protocol.CONTROL_UUID, wire.set_time(int(now), int(offset)), "setting the clock")

    async def send_settings(self, values: dict[str, int]) -> None:
        if values:
            await self._command(protocol.CONFIG_UUID, wire.settings(values), "the settings")

    async def snooze(self, seconds: int) -> None:
        await self._command(protocol.CONTROL_UUID, wire.snooze(min(seconds, 0xFFFF)), "the snooze")

    async def calibrate(self) -> None:
        await self._command(protocol.CONTROL_UUID, wire.calibrate(), "calibration")

    async def raw_stream(self, on: bool) -> None:
        """Start or stop the raw sample stream; samples go to on_raw."""
        if on:
            await self.client.start_notify(protocol.RAW_UUID, self._on_raw)
        await self._command(protocol.CONTROL_UUID, wire.raw(on), "the raw stream")
        if not on:
            await self.client.stop_notify(protocol.RAW_UUID)

    async def open_pairing(self, window_s: int) -> None:
        """Let the device accept a new bond (another computer) for window_s seconds."""
        await self._command(protocol.CONTROL_UUID, wire.open_pairing(window_s), "opening the pairing window")

    # -- history --------------------------------------------------------------------------------------

    async def _ack(self, seq: int) -> None:
        if seq > self.acked_seq:
            await self.client.write_gatt_char(protocol.HISTORY_UUID, wire.sync_ack(self.host_id, seq), response=True)
            self.acked_seq = seq

    async def _flush(self, events: list[Event], minutes: list[Minute], counts: dict[str, int]) -> None:
        """Store a batch; acknowledge once it is in the database (spooled records are not acknowledged,
        so the device keeps them until the database takes them)."""
        if not events and not minutes:
            return
        result = self.store.ingest(self.address, events, minutes)
        counts["new"] += result.new
        counts["duplicates"] += result.duplicates
        counts["spooled"] += result.spooled
        events.clear()
        minutes.clear()
        if result.problem:
            self.say(f"could not write to the log, kept {result.spooled} records aside: {result.problem}")
        else:
            await self._ack(result.contiguous_seq)

    async def _stream(self, from_seq: int, counts: dict[str, int]) -> wire.SyncEnd:
        """One pass: ask from from_seq, store what comes until sync_end."""
        while not self._history.empty():
            self._history.get_nowait()
        await self.client.write_gatt_char(protocol.HISTORY_UUID, wire.sync_start(self.host_id, from_seq),
                                          response=True)
        events: list[Event] = []
        minutes: list[Minute] = []
        head = self.status.head_seq if self.status else None
        while True:
            try:
                item = await asyncio.wait_for(self._history.get(), SYNC_IDLE_TIMEOUT_S)
            except TimeoutError:
                await self._flush(events, minutes, counts)
                raise LinkError(f"the history sync stalled: nothing for {SYNC_IDLE_TIMEOUT_S:.0f} s") from None
            if item.name == "minute":
                minutes.append(wire.minute(item))
            elif item.name == "event":
                event = wire.event(item)
                events.append(event)
                if event.kind == vocab.EVENT_PROMPT:
                    self._synced_prompts.append(event)
            elif item.name == "gap":
                await self._flush(events, minutes, counts)
                g = wire.gap(item)
                self.store.mark_lost(self.address, g.first_seq, g.last_seq, g.reason)
                counts["lost"] += g.last_seq - g.first_seq + 1
                continue
            elif item.name == "sync_end":
                await self._flush(events, minutes, counts)
                return wire.sync_end(item)
            elif item.name == "result":
                await self._flush(events, minutes, counts)
                self._refused_sync(item)
                continue
            else:
                continue
            counts["received"] += 1
            if len(events) + len(minutes) >= SYNC_BATCH:
                await self._flush(events, minutes, counts)
            if self.on_progress is not None and head is not None:
                self.on_progress(counts["received"], max(head - from_seq, counts["received"]))

    def _refused_sync(self, item: codec.Item) -> None:
        status = item["status"]
        if status == protocol.RESULT_MTU_TOO_SMALL:
            mtu = getattr(self.client, "mtu_size", None)
            raise MtuTooSmall(
                f"the Bluetooth link's packets are too small for the history (MTU {mtu or 'unknown'}, the sync "
                f"needs {protocol.HISTORY_MIN_MTU}); live status and prompts still work, the records wait on "
                "the device. Reconnecting usually negotiates a larger MTU; if it keeps happening, update this "
                "computer's Bluetooth driver")
        raise LinkError(f"the device refused the history sync: {wire.result_name(status)}")

    async def identify(self) -> int:
        """Ask which log the device holds (its id) and make it the one records are stored in. Returns the id.

        A sync_start from the device's head gets sync_end at once (and at most the few records logged in
        between, which the sync that follows asks for again)."""
        head = self.status.head_seq if self.status is not None else (await self.read_status()).head_seq
        while not self._history.empty():
            self._history.get_nowait()
        await self.client.write_gatt_char(protocol.HISTORY_UUID, wire.sync_start(self.host_id, head), response=True)
        while True:
            try:
                item = await asyncio.wait_for(self._history.get(), COMMAND_TIMEOUT_S)
            except TimeoutError:
                raise LinkError(f"the device did not say which log it holds within {COMMAND_TIMEOUT_S:.0f} s") from None
            if item.name == "result":
                self._refused_sync(item)
            if item.name == "sync_end":
                end = wire.sync_end(item)
                break
        log_id = end.log_id if end.log_id is not None else 0
        change = self.store.use_log(self.address, log_id)
        if change == LOG_NEW:
            self.say(f"the device's log is new (id {log_id:08x}): it was reset or replaced; its records are kept "
                     "apart from the ones stored before")
        elif change == LOG_LEARNED:
            self.say(f"the device's log has id {log_id:08x}")
        self.store.anchor(self.address, end.oldest_seq)
        self.log_id = log_id
        self.oldest_seq = end.oldest_seq
        self._log_known.set()
        return log_id

    def use_current_log(self) -> None:
        """Store live events in the log the store has as current, without asking the device (a link
        that cannot sync: see MtuTooSmall)."""
        self._log_known.set()

    async def sync(self) -> SyncResult:
        """Bring the log up to the device's head; acknowledge what is stored. See the module doc."""
        if self.log_id is None:
            await self.identify()
        position = self.store.sync_position(self.address)
        from_seq = position[0] + 1 if position else self.oldest_seq
        counts = dict.fromkeys(("received", "new", "duplicates", "lost", "spooled"), 0)
        rounds = 0
        log_id = None
        while True:
            end = await self._stream(from_seq, counts)
            log_id = end.log_id
            if from_seq < end.oldest_seq:
                first_missing = max(from_seq, self.store.gaps(self.address)[1] + 1)
                if first_missing < end.oldest_seq:
                    self.store.mark_lost(self.address, first_missing, end.oldest_seq - 1,
                                         "overwritten on the device before it was synced")
                    counts["lost"] += end.oldest_seq - first_missing
            gaps, contiguous = self.store.gaps(self.address)
            if counts["spooled"] == 0:
                await self._ack(contiguous)
            if not gaps or rounds >= MAX_GAP_ROUNDS:
                break
            rounds += 1
            from_seq = gaps[0][0]
            self.say(f"asking again for {sum(b - a + 1 for a, b in gaps)} missing records from {from_seq}")
        if gaps:
            self.say(f"{len(gaps)} gaps remain after {rounds} rounds; the next sync asks for them again")
        prompts, self._synced_prompts = self._synced_prompts, []
        if prompts:
            await self._deliver_prompt(max(prompts, key=lambda e: e.seq))
        return SyncResult(counts["received"], counts["new"], counts["duplicates"], counts["lost"], gaps,
                          self.acked_seq, rounds, counts["spooled"], log_id)
