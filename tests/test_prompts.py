import asyncio
import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from lumbo import routines
from lumbo.config import Config, ConfigError
from lumbo.prompts import choose, notify, policy
from lumbo.prompts.choose import Context, Preferences
from lumbo.prompts.context import context_at
from lumbo.prompts.manager import PromptManager
from lumbo.store import Event, Minute, Store
from lumbo_shared import vocab

EXT, TILTS, HIP = vocab.ROUTINE_EXTENSION, vocab.ROUTINE_PELVIC_TILTS, vocab.ROUTINE_HIP_FLEXOR_STRETCH
NERVE = vocab.ROUTINE_NERVE_FLOSSING
ADDR = "C0:FF:EE:00:00:01"

LONG_SLUMPED = Context(bout_s=50 * 60, bout_tilt_cdeg=2500, sitting_today_s=3600)
LONG_UPRIGHT = Context(bout_s=50 * 60, bout_tilt_cdeg=1400, sitting_today_s=3600)
SHORT_SLUMPED = Context(bout_s=30 * 60, bout_tilt_cdeg=2500, sitting_today_s=3600)
HEAVY_DAY = Context(bout_s=30 * 60, bout_tilt_cdeg=1400, sitting_today_s=5 * 3600)
ORDINARY = Context(bout_s=30 * 60, bout_tilt_cdeg=1400, sitting_today_s=3600)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (LONG_SLUMPED, EXT),
        (LONG_UPRIGHT, TILTS),  # long but not slumped
        (SHORT_SLUMPED, TILTS),  # slumped but not yet long
        (HEAVY_DAY, HIP),
        (ORDINARY, TILTS),
        (Context(50 * 60, 2500, 5 * 3600), EXT),  # both: the slump wins
        (Context(50 * 60, None, 3600), TILTS),  # tilt unknown: no slump claimed
    ],
)
def test_the_sensor_picks_the_routine(context, expected):
    assert choose.choose(context, Preferences(), recent=[]) == expected


def test_the_same_routine_does_not_come_twice_in_a_row():
    assert choose.choose(LONG_SLUMPED, Preferences(), recent=[EXT]) == TILTS
    assert choose.choose(LONG_SLUMPED, Preferences(), recent=[TILTS, EXT]) == EXT
    assert choose.choose(ORDINARY, Preferences(), recent=[TILTS]) == EXT
    picks, recent = [], []
    for _ in range(6):
        pick = choose.choose(ORDINARY, Preferences(), recent)
        picks.append(pick)
        recent.insert(0, pick)
    # Ordinary prompts take turns through the core three, pelvic tilts first.
    assert picks == [TILTS, EXT, HIP, TILTS, EXT, HIP]


def test_preferences_shape_the_rotation():
    prefs = Preferences(prefer=(vocab.ROUTINE_WALK,), avoid=(TILTS,))
    # Pelvic tilts are avoided, so an ordinary prompt goes to the preferred walk.
    assert choose.choose(ORDINARY, prefs, recent=[]) == vocab.ROUTINE_WALK
    assert choose.choose(ORDINARY, prefs, recent=[vocab.ROUTINE_WALK]) == EXT
    assert choose.choose(ORDINARY, prefs, recent=[EXT, vocab.ROUTINE_WALK]) == HIP
    assert TILTS not in choose.candidates(HEAVY_DAY, prefs)
    everything = Preferences(avoid=tuple(r.code for r in routines.CATALOGUE))
    assert choose.choose(ORDINARY, everything, recent=[]) == vocab.ROUTINE_WALK


def test_nerve_flossing_only_with_leg_symptoms():
    assert NERVE not in choose.candidates(ORDINARY, Preferences())
    assert NERVE not in choose.candidates(ORDINARY, Preferences(prefer=(NERVE,)))
    with_legs = Preferences(leg_symptoms=True)
    assert NERVE in choose.candidates(ORDINARY, with_legs)
    recent = []
    picks = []
    for _ in range(4):
        pick = choose.choose(ORDINARY, with_legs, recent)
        picks.append(pick)
        recent.insert(0, pick)
    assert picks == [TILTS, EXT, HIP, NERVE]


def test_every_card_ends_with_the_safety_note_and_nerve_cards_carry_the_red_flags():
    for r in routines.CATALOGUE:
        text = routines.card_text(r.code)
        assert text.startswith(r.title)
        assert text.endswith(routines.SAFETY_NOTE)
        assert r.dose in text and r.why in text
        for step in r.steps:
            assert step in text
        assert ("bladder" in text) == r.nerve
    assert routines.routine(NERVE).nerve
    assert "stop if it hurts" in routines.SAFETY_NOTE.lower()
    assert "not medical advice" in routines.SAFETY_NOTE


def test_every_routine_in_the_shared_vocabulary_has_a_card():
    for code, name in enumerate(vocab.ROUTINES):
        if code == vocab.ROUTINE_NONE:
            continue
        assert routines.by_name(name).code == code


def at(hour, minute=0):
    return datetime(2024, 3, 5, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        (0, 0, at(3), False),  # equal: no quiet hours
        (12 * 60, 13 * 60, at(12, 30), True),
        (12 * 60, 13 * 60, at(13, 0), False),  # the end minute is no longer quiet
        (22 * 60, 7 * 60, at(23), True),  # across midnight
        (22 * 60, 7 * 60, at(6, 59), True),
        (22 * 60, 7 * 60, at(7, 0), False),
        (22 * 60, 7 * 60, at(12), False),
    ],
)
def test_quiet_hours(start, end, local, quiet):
    assert policy.in_quiet_hours(local, start, end) is quiet


def test_hold_reasons_in_order():
    now = at(10)
    kwargs = dict(quiet_start_min=0, quiet_end_min=0, dnd_until_s=None, snoozed_until_s=None)
    assert policy.hold_reason(now, **kwargs) is None
    assert policy.hold_reason(now, **{**kwargs, "dnd_until_s": float("inf")}) == "do-not-disturb"
    assert policy.hold_reason(now, **{**kwargs, "dnd_until_s": now.timestamp() - 1}) is None
    assert policy.hold_reason(now, **{**kwargs, "quiet_start_min": 540, "quiet_end_min": 720}) == "quiet hours"
    assert policy.hold_reason(now, **{**kwargs, "snoozed_until_s": now.timestamp() + 60}) == "snoozed"


def test_config_validates_and_round_trips(tmp_path):
    path = tmp_path / "cfg" / "config.json"
    config = Config(path)
    assert config.set("sit_limit_s", "2400") == 2400
    assert config.set("prefer", "walk, extension") == ["walk", "extension"]
    assert config.set("leg_symptoms", "yes") is True
    assert config.set("dnd", "90m", now_s=1000.0) == 1000.0 + 90 * 60
    with pytest.raises(ConfigError, match="out of range"):
        config.set("sit_limit_s", "10")
    with pytest.raises(ConfigError, match="whole number"):
        config.set("sit_limit_s", "half an hour")
    with pytest.raises(ConfigError, match="no routine called 'yoga'"):
        config.set("avoid", "yoga")
    with pytest.raises(ConfigError, match="reprompt_s=3000 is longer than sit_limit_s=2400"):
        config.set("reprompt_s", "3000")
    with pytest.raises(ConfigError, match="unknown setting"):
        config.set("volume", "11")
    config.save()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = Config.load(path)
    assert loaded.get("sit_limit_s") == 2400
    assert loaded.get("reprompt_s") == 600
    assert loaded.get("prefer") == ["walk", "extension"]
    assert loaded.dnd_until_s() == 1000.0 + 90 * 60
    assert loaded.device_overrides() == {"sit_limit_s": 2400}
    loaded.set("dnd", "off")
    assert loaded.dnd_until_s() is None


def test_a_broken_settings_file_is_reported(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="fix or remove it"):
        Config.load(path)
    path.write_text('{"sit_limit_s": 5}')
    with pytest.raises(ConfigError, match="out of range"):
        Config.load(path)


def test_context_from_the_log(tmp_path):
    t0 = int(at(9).timestamp())
    with Store(tmp_path / "log.sqlite3") as store:
        # 09:00-09:59: standing 60 s per minute. 10:00 bout starts; 10:00-10:49 seated:
        # 30 min at 1000 cdeg with 60 s sitting, then 20 min at 3000 cdeg with 30 s sitting.
        minutes = [Minute(i, t0 + 60 * i, (0, 0, 60, 0, 0, 0), 0, 0, 0, 0) for i in range(60)]
        minutes += [Minute(60 + i, t0 + 3600 + 60 * i, (0, 60, 0, 0, 0, 0), 1000, 900, 1100, 0) for i in range(30)]
        minutes += [Minute(90 + i, t0 + 5400 + 60 * i, (0, 30, 30, 0, 0, 0), 3000, 2900, 3100, 1) for i in range(20)]
        bout = Event(200, t0 + 3600, vocab.EVENT_BOUT_START, 0, 0)
        store.ingest(ADDR, events=[bout], minutes=minutes)
        context = context_at(store, t0 + 3600 + 50 * 60, UTC)
    assert context.bout_s == 50 * 60
    # Weighted by sitting seconds: (30*60*1000 + 20*30*3000) / (30*60 + 20*30) = 1500.
    assert context.bout_tilt_cdeg == 1500
    assert context.sitting_today_s == 30 * 60 + 20 * 30


def test_without_any_bus_the_prompt_goes_to_the_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-socket")

    async def scenario():
        out = io.StringIO()
        notifier = notify.Notifier("auto", terminal=notify.TerminalChannel(Console(file=out, width=100)))
        with Store(tmp_path / "log.sqlite3") as store:
            manager = PromptManager(store, notifier, Config(tmp_path / "c.json"), clock=lambda: 0, tz=UTC,
                                    say=lambda s: None)
            shown = await manager.on_prompt(ADDR, Event(1, 0, vocab.EVENT_PROMPT, 1800, 0))
            assert shown.via == "terminal"
            assert notifier.terminal.answer("nonsense") is None
            assert notifier.terminal.answer("s") == "start"
            await manager.drain()
        text = out.getvalue()
        assert "Snooze 10 min" in text
        assert routines.SAFETY_NOTE.split(",")[0] in text.replace("\n", " ")

    asyncio.run(scenario())


def test_quiet_hours_and_dnd_hold_prompts_back(tmp_path):
    async def scenario():
        config = Config(tmp_path / "c.json")
        config.set("quiet_start_min", str(18 * 60))
        config.set("quiet_end_min", str(8 * 60))
        out = io.StringIO()
        notifier = notify.Notifier("terminal", terminal=notify.TerminalChannel(Console(file=out)))
        clock = [at(19).timestamp()]
        with Store(tmp_path / "log.sqlite3") as store:
            manager = PromptManager(store, notifier, config, clock=lambda: clock[0], tz=UTC, say=lambda s: None)
            shown = await manager.on_prompt(ADDR, Event(1, int(clock[0]), vocab.EVENT_PROMPT, 1800, 0))
            assert shown.via == "held: quiet hours"
            clock[0] = at(10).timestamp()
            config.set("dnd", "on")
            shown = await manager.on_prompt(ADDR, Event(2, int(clock[0]), vocab.EVENT_PROMPT, 1800, 0))
            assert shown.via == "held: do-not-disturb"
            config.set("dnd", "off")
            shown = await manager.on_prompt(ADDR, Event(3, int(clock[0]), vocab.EVENT_PROMPT, 1800, 0))
            assert shown.via == "terminal"
        assert out.getvalue().count("Time for a break") == 1

    asyncio.run(scenario())
