from devtest import raises
from lumbo_fw import board


def test_every_board_names_every_field():
    for name in board.BOARDS:
        pins = board.board(name)
        assert sorted(pins) == sorted(board.FIELDS)
        assert pins["i2c_freq_hz"] in (100000, 400000)


def test_pins_are_not_shared_within_a_board():
    for name in board.BOARDS:
        pins = board.board(name)
        used = [pins[f] for f in board.FIELDS if f.endswith("_pin") and pins[f] != board.NOT_FITTED]
        assert len(used) == len(set(used)), name


def test_unknown_board_lists_the_known_ones():
    exc = raises(ValueError, board.board, "esp8266")
    assert "xiao-esp32s3" in str(exc)
