"""The host's decoders under fuzzing: any bytes give a Message or ProtocolError, never anything else."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lumbo_shared import codec, protocol
from lumbo_shared.protocol import ProtocolError

ANY_BYTES = st.binary(max_size=300)


def _decode_or_error(payload):
    try:
        return codec.decode(payload)
    except ProtocolError as exc:
        assert str(exc), "ProtocolError without a message"
        return None


@settings(max_examples=1000, deadline=None)
@given(ANY_BYTES)
def test_any_bytes_decode_or_raise_the_one_error(payload):
    _decode_or_error(payload)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([row[0] for row in protocol.ITEMS] + [0x00, 0x7E, 0xFF]),
                          st.binary(max_size=40)), max_size=8),
       st.integers(min_value=0, max_value=255))
def test_well_framed_items_with_random_bodies(items, version):
    # Framing right, bodies random: exercises each item's body checks rather than the framing ones.
    payload = bytes((version,)) + b"".join(bytes((code, len(body))) + body for code, body in items)
    message = _decode_or_error(payload)
    if version >> 4 != protocol.VERSION_MAJOR:
        assert message is None
    elif message is not None:
        known = [code for code, _ in items if code in {row[0] for row in protocol.ITEMS}]
        assert [item.code for item in message.items] == known
        assert message.skipped == [code for code, _ in items if code not in known]


def _field_strategy(kind, count):
    low, high = protocol.value_range(kind)
    value = st.integers(min_value=low, max_value=high)
    return value if count == 1 else st.tuples(*([value] * count))


@st.composite
def valid_items(draw, rows=protocol.ITEMS):
    _code, name, fmt, names, tail = draw(st.sampled_from(rows))
    values = {fname: draw(_field_strategy(kind, count)) for fname, kind, count in codec.fields_of(fmt, names)}
    if tail:
        room = (255 - protocol.body_size(_code)) // 2
        values["tail"] = tuple(draw(st.lists(_field_strategy(tail, 1), max_size=room)))
    return name, values


@settings(max_examples=400, deadline=None)
@given(st.lists(valid_items(), max_size=6), st.integers(min_value=0, max_value=15))
def test_encode_then_decode_gives_back_the_items(items, minor):
    message = codec.decode(codec.encode(items, minor=minor))
    assert message.minor == minor
    assert [(item.name, item.fields) for item in message.items] == items


# A tail array runs to the end of its body, so only items without one can grow new fields.
FIXED_ROWS = tuple(row for row in protocol.ITEMS if row[4] is None)


@settings(max_examples=400, deadline=None)
@given(valid_items(FIXED_ROWS), st.binary(min_size=1, max_size=20))
def test_appended_fields_from_a_newer_minor_are_ignored(item, extra):
    name, values = item
    encoded = codec.encode([item])
    grown = bytes((0x1F, encoded[1], encoded[2] + len(extra))) + encoded[3:] + extra
    message = codec.decode(grown)
    assert [(i.name, i.fields) for i in message.items] == [(name, values)]
