"""The host app (lumbo.link.host.HostApp, what `lumbo run` runs) against the device emulated over bumble: the
firmware's device log, settings, bonds and GATT service under the real `micropython`, the air and the
device's bridge in this process (tests/hostdevice.py). Pairing, sync with gaps and duplicates, a device log
that starts again, reconnection after drops and while the device is away, and a stranger's central."""

import asyncio
import time

import pytest
from bleak import BleakClient
from hostdevice import (
    ADDRESS,
    FAST,
    DevLog,
    Updates,
    central,
    damage,
    emulation,
    fill_log,
    minute_fields,
    play,
    prompt_line,
    wait_until,
)

from lumbo.config import Config
from lumbo.link import backoff, pairing
from lumbo.link.host import EVENT, LINK, PROMPT, SAY, SYNC, HostApp
from lumbo.link.runner import client_kwargs
from lumbo.prompts import notify
from lumbo.store import Event, Minute, Store
from lumbo_shared import codec, protocol, vocab

pytestmark = pytest.mark.timeout(120)



def run(scenario, timeout_s=100):
    async def bounded():
        return await asyncio.wait_for(scenario, timeout_s)

    return asyncio.run(bounded())


def host_app(store, tmp_path, link, updates, **kwargs):
    kwargs.setdefault("notifier", notify.Notifier("terminal", terminal=notify.TerminalChannel(_quiet_console())))
    return HostApp(store, Config(tmp_path / "config.json"), ADDRESS, link=link, listener=updates.append,
                   scan_s=1.0, policies=FAST, **kwargs)


def _quiet_console():
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=100)


def stored_records(store):
    """{seq: ("event"|"minute", fields as the device log holds them)} of everything in the log."""
    out = {}
    for e in store.events(0, 2**40):
        out[e.seq] = ("event", (e.t_s, e.kind, e.a, e.b))
    for m in store.minutes(0, 2**40):
        out[m.seq] = ("minute", (m.t_s, m.seconds_per_state, m.tilt_mean_cdeg, m.tilt_min_cdeg, m.tilt_max_cdeg,
                                 m.transitions))
    return out


def device_records(log):
    """The same, read back from the device's log files with the firmware's own decoder."""
    out = {}
    for seq in range(log.oldest_seq, log.next_seq):
        raw = log.read(seq)
        if raw is None:
            continue
        item = codec.decode(bytes((protocol.VERSION_BYTE,)) + raw).items[0]
        f = item.fields
        if item.name == "event":
            out[seq] = ("event", (f["t_s"], f["kind"], f["a"], f["b"]))
        else:
            out[seq] = ("minute", (f["t_s"], tuple(f["seconds_per_state"]), f["tilt_mean_cdeg"], f["tilt_min_cdeg"],
                                   f["tilt_max_cdeg"], f["transitions"]))
    return out


def test_pair_bonds_and_remembers_and_a_later_run_connects_without_pairing(x64_build, tmp_path):
    state = tmp_path / "device"
    t0 = int(time.time()) - 3600
    log = fill_log(state, [("minute", minute_fields(t0 + 60 * i)) for i in range(30)])

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            said = []
            address = await pairing.pair(store, link, scan_s=5, say=said.append)
            await link.close()
            # A new run of the app: a new central with the same keystore, no pairing asked for.
            link = central(emu, tmp_path / "keys.json")
            updates = Updates()
            app = host_app(store, tmp_path, link, updates)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs, what="the first sync")
            app.stop()
            await task
            await link.close()
            await emu.stop_firmware()
            return address, said, store, updates, emu.firmware.output

    address, said, store, updates, output = run(scenario())
    # The device advertised a resolvable private address; the app remembers its identity address.
    assert address == ADDRESS and pairing.looks_resolvable(said[1].split(" at ")[1].rstrip("…"))
    device = store.device(ADDRESS)
    assert device.bonded and device.name == protocol.DEVICE_NAME
    assert store.current_log_id(ADDRESS) == log.log_id
    assert (state / "bonds").exists()  # the device keeps the bond on its flash
    # The later run synced every record (the 30 minutes and the clock_set events the device logged).
    held = device_records(DevLog(str(state / "log")))
    assert stored_records(store) == held and len(held) >= 31
    assert output.count("action set_time") == 2  # at pairing, and on connecting
    assert "connected" in updates.texts(LINK)


def test_sync_stores_each_record_once_through_gaps_and_duplicates(x64_build, tmp_path):
    state = tmp_path / "device"
    t0 = int(time.time()) - 86_400
    records = []
    for i in range(500):
        records.append(("minute", minute_fields(t0 + 60 * i, sitting_s=i % 61)))
        if i % 7 == 3:
            records.append(("event", t0 + 60 * i + 30, vocab.EVENT_STAND_TO_SIT, 0, 0))
    # A ring of 3 segments of 146 records: the oldest records were overwritten before any host synced.
    log = fill_log(state, records, max_segments=3)
    first = log.oldest_seq
    assert first > 1
    damaged = first + 200
    damage(state, log, damaged)

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            await pairing.pair(store, link, scan_s=5, say=lambda _t: None)
            # The host's log already holds some of these records, with holes (a sync that stopped early
            # and records that came live): they come again and are not stored twice.
            store.ingest(ADDRESS, [Event(s, *held[s][1]) for s in range(first + 300, first + 320)
                                   if held[s][0] == "event"],
                         [Minute(s, *held[s][1]) for s in range(first + 300, first + 320) if held[s][0] == "minute"])
            updates = Updates()
            app = host_app(store, tmp_path, link, updates)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs, what="the sync")
            # An event logged now arrives live; it continues the stored run, so the next sync starts after it.
            await play(emu, state, f"event {vocab.EVENT_SIT_TO_STAND} 0 0")
            await wait_until(lambda: any(u.kind == EVENT and u.data.kind == vocab.EVENT_SIT_TO_STAND
                                         for u in updates), what="the live event")
            session = app.runner.session
            second = await session.sync()
            await asyncio.sleep(0.5)  # the device stores an acknowledgement at its next poll
            app.stop()
            await task
            await link.close()
            await emu.stop_firmware()
            return store, app.syncs[0], second

    held = device_records(DevLog(str(state / "log"), max_segments=3))
    store, result, second = run(scenario())
    after = DevLog(str(state / "log"), max_segments=3)
    expected = device_records(after)
    assert damaged not in expected
    stored = stored_records(store)
    assert stored == expected
    assert set(stored) == set(range(first, after.next_seq)) - {damaged}
    # 20 records were held already, and the two clock_set events (logged when pairing and when the app
    # connected) had arrived live before the sync reached them; the damaged one is known lost.
    clock_events = [e for e in store.events(0, 2**40) if e.kind == vocab.EVENT_CLOCK_SET]
    assert len(clock_events) == 2
    assert result.duplicates == 20 + 2
    assert result.lost == 1 and store.lost_count(ADDRESS) == 1
    assert result.gaps_left == []
    assert (second.received, second.duplicates) == (0, 0) and second.acked_seq == after.next_seq - 1
    # Nothing from before the ring's oldest record was invented, and the device has the host's cursor.
    assert min(stored) == first
    assert after.acked(store.host_id()) == after.next_seq - 1


@pytest.mark.slow
def test_reconnects_after_drops_mid_sync_and_while_live_and_waits_quietly_while_away(x64_build, tmp_path):
    state = tmp_path / "device"
    t0 = int(time.time()) - 5 * 86_400
    log = fill_log(state, [("minute", minute_fields(t0 + 60 * i)) for i in range(3000)])

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            await pairing.pair(store, link, scan_s=5, say=lambda _t: None)
            updates = Updates()
            app = host_app(store, tmp_path, link, updates)
            cuts = []

            def cut_mid_sync(update):
                # Cut the link three times while the history streams in.
                updates.append(update)
                if update.kind == "progress" and len(cuts) < 3 and update.data[0] >= 300 * (len(cuts) + 1):
                    cuts.append(update.data[0])
                    emu.air.drop_all()

            app.listener = cut_mid_sync
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs and store.gaps(ADDRESS)[1] >= log.next_seq - 1, 60,
                             "a complete sync")
            assert len(cuts) == 3
            # A drop while connected and idle: back within a second or so.
            syncs = len(app.syncs)
            await emu.drop()
            await wait_until(lambda: len(app.syncs) == syncs + 1, 10, "the reconnection and its sync")
            # The device switches its radio off between syncs (here: it is gone), logs meanwhile, comes back.
            await emu.stop_firmware()
            await asyncio.sleep(4)
            await emu.start_firmware()
            await emu.firmware.wait_for("^ready")
            await play(emu, state, prompt_line(1800))
            await wait_until(lambda: any(u.kind == PROMPT for u in updates), 15, "the prompt after the device is back")
            app.stop()
            await task
            await link.close()
            await emu.stop_firmware()
            return store, app, updates

    store, app, updates = run(scenario(), timeout_s=110)
    after = DevLog(str(state / "log"))
    assert stored_records(store) == device_records(after)
    assert set(range(1, log.next_seq)) <= set(stored_records(store))
    assert app.runner.connects >= 6  # first, three cuts, the idle drop, after the device came back
    says = updates.texts(SAY)
    # Each drop is said plainly, with the wait before looking again.
    assert sum("the device disconnected; looking for it again" in s for s in says) >= 4
    # The device being away is said once, not at every scan.
    assert sum(s.startswith("waiting for the device") for s in says) == 1
    assert not any("trying again" in s for s in says)  # no failures other than drops


@pytest.mark.slow
def test_a_device_log_that_starts_again_is_not_taken_for_duplicates(x64_build, tmp_path):
    state = tmp_path / "device"
    t0 = int(time.time()) - 3600
    fill_log(state, [("minute", minute_fields(t0 + 60 * i, tilt_cdeg=1000)) for i in range(40)])

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            await pairing.pair(store, link, scan_s=5, say=lambda _t: None)
            updates = Updates()
            app = host_app(store, tmp_path, link, updates)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs, what="the first sync")
            old_log = store.current_log_id(ADDRESS)
            app.stop()
            await task
            # The wearer resets the device (factory reset): its log and its bonds are erased.
            device = await pairing_find(link)
            async with BleakClient(device, **client_kwargs(link)) as client:
                await client.write_gatt_char(protocol.CONTROL_UUID, codec.encode(
                    [("factory_reset", {"confirm": protocol.FACTORY_RESET_CONFIRM})]), response=True)
            await emu.firmware.wait_for("^action factory_reset$")
            await emu.stop_firmware()
            # It starts again (pairing open, as on a first start) and logs new minutes under the old numbers.
            fill_log(state, [("minute", minute_fields(t0 + 3600 + 60 * i, tilt_cdeg=2500)) for i in range(10)])
            await emu.start_firmware()
            await emu.firmware.wait_for("^ready")
            # This computer still holds the old bond's keys; pairing again replaces them.
            said = []
            await pairing.pair(store, link, scan_s=5, say=said.append)
            app = host_app(store, tmp_path, link, updates)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: app.syncs, what="the sync of the new log")
            app.stop()
            await task
            await link.close()
            await emu.stop_firmware()
            return store, old_log, app.syncs[0], said

    store, old_log, result, said = run(scenario())
    new_log = DevLog(str(state / "log"))
    assert store.current_log_id(ADDRESS) == new_log.log_id != old_log
    # Every record of the new log is stored, though its numbers were used by the old log too; the only
    # records seen twice are the two clock_set events that came live (at pairing and on connecting).
    assert result.new + result.duplicates == new_log.next_seq - 1
    assert result.duplicates == 2
    tilts = sorted({m.tilt_mean_cdeg for m in store.minutes(0, 2**40)})
    assert tilts == [1000, 2500]
    assert len(store.minutes(0, 2**40)) == 50
    assert any("reset or replaced" in line for line in said)


async def pairing_find(link):
    found = await pairing.scan(link, 5, stop_when=lambda f: any(x.address == ADDRESS for x in f))
    return next(f.device for f in found if f.address == ADDRESS)


def test_a_strangers_central_without_a_bond_gets_nothing(x64_build, tmp_path):
    state = tmp_path / "device"
    t0 = int(time.time()) - 3600
    fill_log(state, [("minute", minute_fields(t0 + 60 * i)) for i in range(20)])

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            owner = central(emu, tmp_path / "owner.json")
            await pairing.pair(Store(tmp_path / "owner.sqlite3"), owner, scan_s=5, say=lambda _t: None)
            await owner.close()
            # The next start: a bond exists, so the pairing window stays closed.
            await emu.stop_firmware()
            await emu.start_firmware()
            await emu.firmware.wait_for("^ready")
            stranger = central(emu, tmp_path / "stranger.json")
            store = Store(tmp_path / "stranger.sqlite3")
            with pytest.raises(pairing.PairError, match="pairing window"):
                await pairing.pair(store, stranger, scan_s=5, say=lambda _t: None)
            # Running the app against the device's current address: refused, told to pair; nothing stored.
            (found,) = await pairing.scan(stranger, 5, settle_s=0.5)
            updates = Updates()
            app = HostApp(store, Config(tmp_path / "config.json"), found.address, link=stranger,
                          listener=updates.append, scan_s=1.0, policies=FAST,
                          notifier=notify.Notifier("terminal", terminal=notify.TerminalChannel(_quiet_console())))
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: backoff.AUTH in app.runner.failures, 15, "the refusal")
            app.stop()
            await task
            await stranger.close()
            return store, app, updates, emu.firmware.output

    store, app, updates, output = run(scenario())
    assert store.record_count() == 0 and app.runner.connects == 0 and app.status is None
    assert any("lumbo pair" in s for s in updates.texts(SAY))
    assert "action" not in output  # since the restart (this output), no command was carried out


@pytest.mark.slow
def test_mtu_too_small_is_said_and_prompts_still_arrive(x64_build, tmp_path, monkeypatch):
    from lumbo.ble import bumble_backend

    state = tmp_path / "device"
    fill_log(state, [("minute", minute_fields(int(time.time()) - 600 + 60 * i)) for i in range(5)])

    async def scenario():
        async with emulation(state, x64_build) as emu:
            await emu.firmware.wait_for("^ready")
            store = Store(tmp_path / "log.sqlite3")
            link = central(emu, tmp_path / "keys.json")
            await pairing.pair(store, link, scan_s=5, say=lambda _t: None)
            await link.close()
            # A computer whose Bluetooth never exchanges the MTU: 23 bytes, too small for the history.
            monkeypatch.setattr(bumble_backend, "REQUESTED_MTU", 23)
            link = central(emu, tmp_path / "keys.json")
            updates = Updates()
            app = host_app(store, tmp_path, link, updates)
            task = asyncio.ensure_future(app.run())
            await wait_until(lambda: "connected" in updates.texts(LINK), 10, "the connection")
            await play(emu, state, prompt_line(1800))
            await wait_until(lambda: updates.texts(PROMPT), 10, "the prompt")
            app.stop()
            await task
            await link.close()
            return store, app, updates

    store, app, updates = run(scenario())
    assert any("MTU 23" in s and "live status and prompts still work" in s for s in updates.texts(SAY))
    assert not app.syncs
    assert store.minutes(0, 2**40) == []  # the history waits on the device
    assert [e.kind for e in store.events(0, 2**40)][-1] == vocab.EVENT_PROMPT
    assert app.runner.connects == 1  # no reconnection storm over it
    assert not any(u.kind == SYNC for u in updates)
