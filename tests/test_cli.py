import subprocess
import sys

from lumbo.cli import COMMAND_MODULES, build_parser, main


def test_help_lists_exactly_the_registered_commands():
    parser = build_parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    listed = set(actions[0].choices) if actions and actions[0].choices else set()
    registered = {name.replace("_", "-") for name in COMMAND_MODULES}
    assert listed == registered


def test_lumbo_help_runs_as_a_console_command():
    result = subprocess.run([sys.executable, "-m", "lumbo", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: lumbo")


def test_an_unknown_command_is_an_error(capsys):
    try:
        code = main(["no-such-command"])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert "invalid choice" in capsys.readouterr().err
