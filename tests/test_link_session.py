"""The host's sync and command logic against the device side of the real wire protocol (tests/gattdevice.py)."""

import asyncio

from gattdevice import GattDevice, day_records

from lumbo.link import session as session_module
from lumbo.link.session import Session
from lumbo.store import Store
from lumbo_shared import codec, protocol, vocab

ADDR = "lumbo-test"
T0 = 1_709_630_000


def run(coro):
    return asyncio.run(coro)


def make(tmp_path, device, **kwargs):
    store = Store(tmp_path / "log.sqlite3")
    said = []
    return Session(device, store, ADDR, 0x1234, say=said.append, clock=lambda: T0 + 10_000, **kwargs), store, said


def test_first_sync_stores_everything_and_acknowledges_the_head(tmp_path):
    device = GattDevice(day_records(0, T0, 600))

    async def scenario():
        s, store, _ = make(tmp_path, device)
        await s.start()
        result = await s.sync()
        return result, store.record_count(), store.gaps(ADDR)

    result, count, gaps = run(scenario())
    assert count == 600
    assert (result.new, result.duplicates, result.lost) == (600, 0, 0)
    assert gaps == ([], 599)
    assert device.acks[-1] == 599
    # Acknowledged in batches as they were stored, never beyond what was stored.
    assert device.acks == sorted(device.acks) and len(device.acks) >= 600 // session_module.SYNC_BATCH


def test_dropped_and_repeated_notifications_are_asked_for_again_and_stored_once(tmp_path):
    device = GattDevice(day_records(0, T0, 300))
    device.drop_seqs = {17, 18, 150, 299}
    device.repeat_seqs = {20, 21, 200}

    async def scenario():
        s, store, said = make(tmp_path, device)
        await s.start()
        result = await s.sync()
        return result, store.record_count(), said

    result, count, said = run(scenario())
    assert count == 300
    assert result.duplicates >= 3
    assert result.gaps_left == []
    # After asking which log the device holds (from its head, 300), the first pass ended at 16 contiguous;
    # the re-request started at the first gap.
    assert device.sync_starts[:3] == [300, 0, 17]
    assert device.acks[-1] == 299
    assert any("asking again" in line for line in said)


def test_the_next_sync_starts_after_what_is_stored(tmp_path):
    device = GattDevice(day_records(0, T0, 100))

    async def scenario():
        s, store, _ = make(tmp_path, device)
        await s.start()
        await s.sync()
        device.records.update(day_records(100, T0 + 6000, 20))
        second = await s.sync()
        return second, store.record_count()

    second, count = run(scenario())
    assert device.sync_starts == [100, 0, 100]  # the log's identity is asked once per connection
    assert (second.received, second.new, count) == (20, 20, 120)


def test_records_the_ring_overwrote_are_marked_lost_not_asked_for(tmp_path):
    device = GattDevice(day_records(0, T0, 50))

    async def scenario():
        s, store, _ = make(tmp_path, device)
        await s.start()
        await s.sync()
        # While away, the device logged 100 more and its ring dropped everything before 120.
        device.records.update(day_records(50, T0 + 3000, 100))
        for seq in range(0, 120):
            device.records.pop(seq, None)
        device.oldest_seq = 120
        result = await s.sync()
        return result, store.gaps(ADDR), store.lost_count(ADDR)

    result, gaps, lost = run(scenario())
    assert result.lost == 70  # 50..119
    assert lost == 70
    assert gaps == ([], 149)
    assert device.sync_starts == [50, 0, 50]


def test_commands_clock_settings_and_a_live_prompt(tmp_path):
    device = GattDevice(day_records(0, T0, 10))
    prompts = []

    async def scenario():
        s, store, _ = make(tmp_path, device, on_prompt=prompts.append)
        await s.start()
        await s.identify()
        await s.set_clock(utc_offset_min=60)
        await s.send_settings({"sit_limit_s": 2400, "snooze_s": 900})
        await s.snooze(600)
        device.live_event(10, T0 + 10_000 - 5, vocab.EVENT_PROMPT, 1800)
        device.live_event(11, T0, vocab.EVENT_PROMPT, 1800)  # stale: logged, not shown
        await asyncio.sleep(0)
        await s.drain()
        return s, store

    s, store = run(scenario())
    assert device.commands[0] == ("set_time", {"epoch_s": T0 + 10_000, "utc_offset_min": 60})
    assert device.settings == {"sit_limit_s": 2400, "snooze_s": 900}
    assert device.commands[1] == ("snooze", {"duration_s": 600})
    assert [p.seq for p in prompts] == [10]
    assert {e.seq for e in store.events(0, 2**40)} >= {10, 11}
    assert s.status.battery_pct == 80 and s.status.head_seq == 10


def test_a_refused_command_says_why(tmp_path):
    device = GattDevice({})

    def refused_result(uuid, code, status):
        device._notify(uuid, codec.encode([("result", {"request": code, "status": protocol.RESULT_OUT_OF_RANGE,
                                                          "detail": protocol.setting_id("sit_limit_s")})]))

    device._result = refused_result

    async def scenario():
        s, _, _ = make(tmp_path, device)
        await s.start()
        try:
            await s.send_settings({"sit_limit_s": 2400})
        except session_module.DeviceRefused as exc:
            return str(exc)
        return None

    message = run(scenario())
    assert message == "the device refused the settings: out_of_range (sit_limit_s)"


def test_malformed_notifications_are_counted_and_skipped(tmp_path):
    device = GattDevice(day_records(0, T0, 5))

    async def scenario():
        s, _, said = make(tmp_path, device)
        await s.start()
        device._notify(protocol.HISTORY_UUID, b"\x90\x01")  # an unknown major version
        device._notify(protocol.STATUS_UUID, b"")
        result = await s.sync()
        return s, result, said

    s, result, said = run(scenario())
    assert s.decode_errors == 2
    assert result.new == 5
    assert any("malformed" in line for line in said)


def test_a_reset_device_log_is_stored_as_new_records_not_duplicates(tmp_path):
    device = GattDevice(day_records(0, T0, 40))

    async def scenario():
        s, store, said = make(tmp_path, device)
        await s.start()
        await s.sync()
        # Factory reset: the new log numbers from 0 again, with other records under the same numbers.
        device.reset_log(0xBEEF, day_records(0, T0 + 86_400, 25))
        s2, _, _ = make(tmp_path, device)
        s2.store, s2.say = store, said.append
        await s2.start()
        result = await s2.sync()
        return result, store, said

    result, store, said = run(scenario())
    assert (result.new, result.duplicates) == (25, 0)
    assert store.record_count() == 65
    assert store.current_log_id(ADDR) == 0xBEEF
    assert device.sync_starts[-1] == 0  # the new log is synced from its start
    assert any("reset or replaced" in line for line in said)


def test_mtu_too_small_says_so_and_live_events_still_arrive(tmp_path):
    device = GattDevice(day_records(0, T0, 5))
    device.history_mtu_ok = False
    device.mtu_size = 23

    async def scenario():
        s, store, _ = make(tmp_path, device)
        await s.start()
        try:
            await s.sync()
        except session_module.MtuTooSmall as exc:
            message = str(exc)
        else:
            message = None
        s.use_current_log()
        device.live_event(5, T0 + 10_000, vocab.EVENT_BREAK_TAKEN, 1, 8)
        await asyncio.sleep(0)
        await s.drain()
        return message, store

    message, store = run(scenario())
    assert message is not None and "MTU 23" in message and "needs 30" in message
    assert [e.seq for e in store.events(0, 2**40)] == [5]


def test_a_fresh_prompt_that_arrives_by_sync_is_delivered_once(tmp_path):
    # A device that keeps its radio off between syncs logs the prompt, then wakes the radio: the host
    # may connect only after the event was logged, so it comes in the history, not live.
    records = day_records(0, T0, 6)
    records[6] = ("event", {"seq": 6, "t_s": T0 + 10_000 - 900, "kind": vocab.EVENT_PROMPT, "a": 1800, "b": 1})
    records[7] = ("event", {"seq": 7, "t_s": T0 + 10_000 - 20, "kind": vocab.EVENT_PROMPT, "a": 2400, "b": 2})
    device = GattDevice(records)
    prompts = []

    async def scenario():
        s, store, _ = make(tmp_path, device, on_prompt=prompts.append)
        await s.start()
        await s.sync()
        # Seen live as well (it was notified as it was logged): not shown twice.
        device.live_event(7, T0 + 10_000 - 20, vocab.EVENT_PROMPT, 2400, 2)
        await asyncio.sleep(0)
        await s.drain()
        await s.sync()
        return store

    run(scenario())
    # Only the newest, and only because it is fresh; the one from 15 minutes ago is history.
    assert [p.seq for p in prompts] == [7]
