"""The sync benchmark's real-link estimate and history, checked against hand-worked air times."""

from lumbo.bench import sync
from lumbo_fw.devlog import DevLog
from lumbo_shared import vocab


def test_a_full_packet_takes_2500_us_on_air():
    # 251-byte payload: (1 + 4 + 2 + 251 + 4 + 3) bytes x 8 us = 2120 us, then 150 + 80 (empty ack) + 150.
    assert sync.packet_air_us(251) == 2500
    # 27-byte payload: 41 bytes x 8 us = 328 us, plus 380 us.
    assert sync.packet_air_us(27) == 708


def test_with_data_length_extension_three_notifications_fit_a_7_5_ms_event():
    # A 244-byte notification is a 251-byte L2CAP frame: one packet of 2500 us. 7500 us hold three.
    assert sync.estimate_link_s([244] * 6, 7.5, dle=True) == 0.015
    assert sync.estimate_link_s([244] * 7, 7.5, dle=True) == 0.0225
    # At 30 ms, twelve fit one event.
    assert sync.estimate_link_s([244] * 12, 30, dle=True) == 0.03


def test_without_it_a_notification_is_ten_packets():
    # 251 bytes in 27-byte packets: nine of 708 us and one of 8 bytes, (14 + 8) x 8 + 380 = 556 us:
    # 6928 us, which fits one 7.5 ms event; the next notification's first packet does not.
    assert sync.estimate_link_s([244], 7.5, dle=False) == 0.0075
    assert sync.estimate_link_s([244, 244], 7.5, dle=False) == 0.015


def test_history_has_the_minutes_and_the_events_asked_for(tmp_path):
    made = sync.make_history(tmp_path / "log", 1, 300)
    assert made == 1440 + 300
    log = DevLog(str(tmp_path / "log"))
    events = [seq for seq in range(1, made + 1) if log.read(seq)[0] == 0x11]
    assert len(events) == 300
    assert log.read(events[0])[10] == vocab.EVENT_SIT_TO_STAND  # code, length, seq (4), t_s (4), kind
