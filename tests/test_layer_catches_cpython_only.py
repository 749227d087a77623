"""The check layers catch what the device cannot run: each case slips one CPython-only construct into a
firmware module and shows which layer fails, beside a control that passes."""

import textwrap

import pytest
from test_layer_micropython import SUMMARY
from test_layer_static import run_mypy

from conftest import DEVICE_TESTS
from lumbo import mpy
from lumbo.build import BuildError, build
from lumbo.paths import EMULATED_HARDWARE_DIR


def write_module(folder, name, source):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def test_dataclasses_import_fails_the_type_check(tmp_path):
    bad = write_module(tmp_path / "firmware", "settings_store.py", """
        import dataclasses

        @dataclasses.dataclass
        class Store:
            limit_s: int = 1800
        """)
    good = write_module(tmp_path / "firmware_ok", "settings_store.py", """
        class Store:
            def __init__(self) -> None:
                self.limit_s = 1800
        """)
    failing = run_mypy(bad)
    assert failing.returncode != 0 and "dataclasses" in failing.stdout, failing.stdout
    passing = run_mypy(good)
    assert passing.returncode == 0, passing.stdout


def test_dataclasses_import_fails_under_micropython(tmp_path):
    src = write_module(tmp_path / "src", "settings_store.py", "import dataclasses\n")
    build(tmp_path / "out", "x64", sources=[(src, "settings_store.py")])
    result = mpy.run(["-c", "import settings_store"], path=[tmp_path / "out"])
    assert result.returncode != 0
    assert "ImportError" in result.stdout and "dataclasses" in result.stdout, result.stdout


def test_match_statement_fails_the_esp32_compile(tmp_path):
    src = write_module(tmp_path / "src", "dispatch.py", """
        def describe(code):
            match code:
                case 1:
                    return "sitting"
            return "other"
        """)
    with pytest.raises(BuildError) as caught:
        build(tmp_path / "out", "xtensawin", sources=[(src, "lumbo_fw/dispatch.py")])
    assert "dispatch.py" in str(caught.value) and "SyntaxError" in str(caught.value)


ALLOCATION_CHECK = """
    from devtest import assert_allocation_free
    import hot_path

    def mpytest_{name}_allocates_nothing():
        buf = bytearray(4)
        assert_allocation_free(lambda: hot_path.{name}(buf))
    """


def run_allocation_check(tmp_path, name):
    hot = write_module(tmp_path / "src", "hot_path.py", """
        def scale_float(buf):
            # 0.5 * x makes a float object on the heap each call
            buf[0] = int(buf[1] * 0.5)

        def scale_int(buf):
            buf[0] = buf[1] >> 1
        """)
    build(tmp_path / "out", "x64", sources=[(hot, "hot_path.py")])
    write_module(tmp_path / "tests", f"check_{name}.py", ALLOCATION_CHECK.format(name=name))
    result = mpy.run([str(DEVICE_TESTS / "mprun.py"), f"check_{name}"],
                     path=[tmp_path / "out", tmp_path / "tests", EMULATED_HARDWARE_DIR, DEVICE_TESTS])
    summary = SUMMARY.search(result.stdout)
    assert summary, result.stdout
    return int(summary.group(1)), int(summary.group(2)), result.stdout


def test_float_allocation_in_an_allocation_free_function_fails_under_micropython(tmp_path):
    passed, failed, out = run_allocation_check(tmp_path, "scale_float")
    assert (passed, failed) == (0, 1), out
    assert "expected no heap allocation" in out


def test_the_integer_version_of_the_same_function_passes(tmp_path):
    passed, failed, out = run_allocation_check(tmp_path, "scale_int")
    assert (passed, failed) == (1, 0), out
