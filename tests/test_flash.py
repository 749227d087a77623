"""`lumbo flash` against emulated boards: the MicroPython unix port behind a socket, as a board's serial port."""

import json
import shutil
import subprocess

import pytest
from mpremote.transport_serial import SerialTransport

from lumbo.build import mpy_cross_path
from lumbo.cli import main
from lumbo.emu.board import EmulatedBoard
from lumbo.flash import FlashError, micropython
from lumbo.flash.deploy import LOADER_DIR, LOADER_FILES, boot_report, deploy
from lumbo.paths import device_sources

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("flash-cache")


@pytest.fixture
def board():
    with EmulatedBoard() as b:
        yield b


def changed_sources(tmp_path, text):
    """The device sources with lumbo_shared/vocab.py's copy changed: a new firmware version."""
    out = []
    for path, board_path in device_sources():
        if board_path == "lumbo_shared/vocab.py":
            copy = tmp_path / "vocab.py"
            copy.write_text(path.read_text() + f"\nCHANGED = {text!r}\n")
            path = copy
        out.append((path, board_path))
    return out


@pytest.mark.slow
def test_full_deploy_then_a_second_that_copies_nothing(board, cache):
    (board.root / "data").mkdir()
    (board.root / "data" / "calibration.json").write_text('{"tilt_cdeg": 312}')
    first = deploy(board.url, cache_dir=cache)
    compiled = [b for _, b in device_sources()]
    assert first["sent_files"] == len(compiled) and first["verified"] and first["slot"] == "a"
    manifest = json.loads((board.root / "lumbo" / "a" / "manifest.json").read_text())
    assert manifest["version"] == first["version"]
    for board_path in compiled:
        name = board_path if board_path.endswith(("main.py", "boot.py")) else board_path[:-3] + ".mpy"
        assert (board.root / "lumbo" / "a" / name).read_bytes()[:1] in (b"M", b"#", b"i", b"\"")
    assert (board.root / "lumbo" / "active").read_text() == "a"
    assert (board.root / "data" / "calibration.json").read_text() == '{"tilt_cdeg": 312}'
    second = deploy(board.url, cache_dir=cache)
    assert second["up_to_date"] and second["sent_files"] == 0 and second["sent_bytes"] == 0
    running, safe, _ = boot_report(board.url)
    assert running == first["version"] and safe is None


@pytest.mark.slow
def test_only_what_changed_is_sent_and_the_switch_is_one_folder(board, cache, tmp_path):
    first = deploy(board.url, cache_dir=cache, verify=False)
    second = deploy(board.url, cache_dir=tmp_path / "c2", sources=changed_sources(tmp_path, "v2"))
    assert second["version"] != first["version"] and second["slot"] == "b"
    assert second["sent_files"] == 1  # vocab.mpy; everything else is copied from /lumbo/a on the board
    assert second["copied_on_board"] == len(device_sources()) - 1
    assert (board.root / "lumbo" / "active").read_text() == "b"


@pytest.mark.slow
def test_an_interrupted_copy_leaves_the_previous_firmware_running(board, cache, tmp_path):
    first = deploy(board.url, cache_dir=cache, verify=False)
    (board.root / "data").mkdir(exist_ok=True)
    (board.root / "data" / "settings.json").write_text('{"sit_limit_s": 1500}')
    # A new firmware in which most files differ: each source gets a change.
    sources = []
    for path, board_path in device_sources():
        copy = tmp_path / "src" / board_path
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text() + "\n_REVISION = 2\n")
        sources.append((copy, board_path))

    def cut_halfway(done, total):
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(FlashError, match=r"interrupted.*still runs its previous firmware"):
        deploy(board.url, on_progress=cut_halfway, cache_dir=tmp_path / "c3", sources=sources)
    assert (board.root / "lumbo" / "active").read_text() == "a"
    assert not (board.root / "lumbo" / "b" / "manifest.json").exists()
    board.power_cycle()
    running, safe, _ = boot_report(board.url)
    assert running == first["version"] and safe is None
    finished = deploy(board.url, cache_dir=tmp_path / "c3", sources=sources)
    assert finished["verified"] and finished["kept"] > 0  # the files that made it across stay
    assert (board.root / "data" / "settings.json").read_text() == '{"sit_limit_s": 1500}'


@pytest.mark.slow
def test_a_board_whose_active_folder_is_incomplete_boots_the_other_and_says_so(board, cache):
    first = deploy(board.url, cache_dir=cache, verify=False)
    half = board.root / "lumbo" / "b"
    shutil.copytree(board.root / "lumbo" / "a", half)
    manifest = json.loads((half / "manifest.json").read_text())
    manifest["version"] = "9.9.9"
    (half / "manifest.json").write_text(json.dumps(manifest))
    (half / "lumbo_fw" / "board.mpy").write_bytes(b"M")  # cut short
    (board.root / "lumbo" / "active").write_text("b")
    running, safe, _ = boot_report(board.url)
    assert running == first["version"]
    assert "did not finish" in safe


def test_a_board_without_lumbo_says_safe_mode(board):
    for name in LOADER_FILES:
        shutil.copy(LOADER_DIR / name, board.root / name)
    running, safe, _ = boot_report(board.url)
    assert running is None and "lumbo flash" in safe


@pytest.mark.parametrize(("options", "message"), [
    ({"version": (1, 20, 0)}, r"MicroPython 1\.20\.0; lumbo needs 1\.27"),
    ({"bluetooth": False}, "no `bluetooth` module"),
    ({"flash_kb": 24}, "flash full"),
])
def test_boards_lumbo_cannot_use_are_refused_before_anything_is_written(cache, options, message):
    with EmulatedBoard(**options) as b:
        with pytest.raises(FlashError, match=message):
            deploy(b.url, cache_dir=cache)
        assert not (b.root / "lumbo").exists() and not (b.root / "boot.py").exists()


def test_a_port_another_program_holds_is_busy(board, cache):
    holder = SerialTransport(board.url)
    try:
        with pytest.raises(FlashError, match="another program"):
            deploy(board.url, cache_dir=cache)
    finally:
        holder.close()


def test_no_board_at_the_port():
    with pytest.raises(FlashError, match="no board at"):
        deploy("socket://127.0.0.1:9", cache_dir=None)


@pytest.mark.slow
def test_the_commands_flash_and_show_the_console(board, capsys):
    assert main(["flash", "--port", board.url]) == 0
    out = capsys.readouterr().out
    assert "is on socket://" in out and "it started" in out
    assert main(["device", "logs", "--port", board.url, "--restart", "--seconds", "3"]) == 0
    out = capsys.readouterr().out
    # The firmware starts; this board has no IMU attached (no recording for its emulated one), and says so.
    assert "lumbo firmware" in out and "lumbo cannot start" in out
    assert main(["flash", "--port", "socket://127.0.0.1:9"]) == 1
    assert "no board at" in capsys.readouterr().err


def test_micropython_images_go_to_their_chips_offset(tmp_path):
    def image(chip_id):
        path = tmp_path / f"fw{chip_id}.bin"
        path.write_bytes(bytes([0xE9, 3, 2, 0x20]) + bytes(8) + bytes([chip_id, 0]) + bytes(100))
        return path

    s3 = micropython.esptool_commands("/dev/ttyACM0", image(9))
    assert s3[0] == ["--chip", "esp32s3", "--port", "/dev/ttyACM0", "erase-flash"]
    assert s3[1][-2:] == ["0x0", str(image(9))]
    assert micropython.esptool_commands("/dev/ttyUSB0", image(0))[1][-2] == "0x1000"
    bad = tmp_path / "page.html"
    bad.write_text("<html>")
    with pytest.raises(FlashError, match="not an ESP32 firmware image"):
        micropython.esptool_commands("/dev/ttyUSB0", bad)


def test_the_loader_compiles_for_the_esp32(tmp_path):
    for name in LOADER_FILES:
        result = subprocess.run([mpy_cross_path(), "-march=xtensawin", "-o", str(tmp_path / "x.mpy"),
                                 str(LOADER_DIR / name)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_no_board_plugged_in(monkeypatch):
    from lumbo.flash import ports

    monkeypatch.setattr(ports.list_ports, "comports", lambda: [])
    with pytest.raises(FlashError, match="no board found"):
        ports.find_board(None)
