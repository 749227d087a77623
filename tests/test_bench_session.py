"""The host-session sync benchmark stores every record of the history it made, in one command's run."""

import json

from lumbo.cli import main


def test_a_day_of_history_is_stored_whole(capsys):
    assert main(["bench", "session", "--days", "1", "--events-per-day", "20", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["records"] == 1440 + 20
    assert figures["host_records_stored"] == figures["records"]
    assert figures["host_sync_s"] > 0 and figures["reference_transfer_s"] > 0
