import pytest

from lumbo.build import BuildError, build
from lumbo.paths import device_sources


def test_the_build_lays_files_out_as_on_the_board(tmp_path):
    written = build(tmp_path, "xtensawin")
    board_paths = {board for _, board in device_sources()}
    assert "lumbo_fw/burst.mpy" in written and "lumbo_shared/settings.mpy" in written
    assert len(written) == len(board_paths)
    assert (tmp_path / "lumbo_fw" / "burst.mpy").read_bytes()[:1] == b"M"


def test_a_second_build_recompiles_only_what_changed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    a, b = src / "a.py", src / "b.py"
    a.write_text("X = 1\n")
    b.write_text("Y = 2\n")
    out = tmp_path / "out"
    build(out, "x64", sources=[(a, "a.py"), (b, "b.py")])
    stamp_a = (out / "a.mpy").stat().st_mtime_ns
    b.write_text("Y = 3\n")
    build(out, "x64", sources=[(a, "a.py"), (b, "b.py")])
    assert (out / "a.mpy").stat().st_mtime_ns == stamp_a
    build(out, "x64", sources=[(a, "a.py")])
    assert not (out / "b.mpy").exists(), "outputs of removed sources are deleted"


def test_main_py_stays_source_because_the_board_runs_it_by_name(tmp_path):
    main = tmp_path / "main.py"
    main.write_text("print('hi')\n")
    written = build(tmp_path / "out", "xtensawin", sources=[(main, "main.py")])
    assert written == ["main.py"]
    assert (tmp_path / "out" / "main.py").read_text() == "print('hi')\n"


def test_a_changed_architecture_rebuilds_everything(tmp_path):
    src = tmp_path / "a.py"
    src.write_text("@micropython.native\ndef f(x):\n    return x + 1\n")
    build(tmp_path / "out", "x64", sources=[(src, "a.py")])
    x64 = (tmp_path / "out" / "a.mpy").read_bytes()
    build(tmp_path / "out", "xtensawin", sources=[(src, "a.py")])
    assert (tmp_path / "out" / "a.mpy").read_bytes() != x64


def test_errors_name_the_file_and_the_architecture(tmp_path):
    src = tmp_path / "broken.py"
    src.write_text("def f(:\n")
    with pytest.raises(BuildError, match=r"broken\.py does not compile for xtensawin"):
        build(tmp_path / "out", "xtensawin", sources=[(src, "broken.py")])
    with pytest.raises(BuildError, match="unknown architecture"):
        build(tmp_path / "out", "z80", sources=[(src, "broken.py")])
