import json

from lumbo.cli import main
from lumbo.store import Event, Store
from lumbo_shared import vocab


def test_status_reports_sync_position_gaps_and_losses(tmp_path, monkeypatch, capsys):
    db = tmp_path / "log.sqlite3"
    monkeypatch.setenv("LUMBO_DB", str(db))
    monkeypatch.setenv("LUMBO_CONFIG", str(tmp_path / "config.json"))
    with Store(db) as store:
        store.remember_device("AA:BB", "lumbo-1", bonded=True)
        store.ingest("AA:BB", events=[Event(s, 1_700_000_000 + s, vocab.EVENT_STAND_TO_SIT, 0, 0)
                                      for s in (0, 1, 2, 6, 7)])
        store.mark_lost("AA:BB", 3, 3, "overwritten on the device")
    assert main(["config", "set", "dnd", "on"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    (device,) = info["devices"]
    # 0-2 stored, 3 lost, 4-5 missing, 6-7 stored: synced up to 3, newest 7.
    assert (device["synced_to_seq"], device["newest_seq"], device["missing"], device["lost"]) == (3, 7, 2, 1)
    assert device["paired"] is True
    assert info["records"] == 5 and info["prompts_held"] == "do-not-disturb"
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "synced up to record 3 of 7; 2 missing, 1 lost" in out
    assert "held back (do-not-disturb)" in out
