from lumbo_shared import vocab


def test_codes_are_unique_and_named():
    codes = list(vocab.EVENTS)
    assert len(codes) == len(set(codes))
    names = list(vocab.EVENTS.values())
    assert len(names) == len(set(names))
    assert vocab.event_name(vocab.EVENT_PROMPT) == "prompt"
    assert vocab.state_name(vocab.STATE_SITTING) == "sitting"
    assert vocab.routine_name(vocab.ROUTINE_EXTENSION) == "extension"


def test_unknown_codes_get_a_readable_name_not_an_error():
    assert vocab.event_name(250) == "event_250"
    assert vocab.state_name(99) == "state_99"
    assert vocab.routine_name(-1) == "routine_-1"


def test_the_first_three_routines_are_the_ones_offered_first():
    assert vocab.ROUTINES[1:4] == ("extension", "pelvic_tilts", "hip_flexor_stretch")
