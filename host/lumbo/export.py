"""The log as plain files for other tools: CSV (one table) or JSON Lines (one object per record).

Both carry every record with its device, the device log it came from, its sequence number and time (Unix
seconds and ISO 8601 UTC).
Events name their kind; minute summaries give seconds per state and the seated tilt in centidegrees.
CSV rows hold the columns of both kinds; the cells that do not apply to a row are empty.
"""

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from lumbo.shared import vocab
from lumbo.store import Store

STATE_COLUMNS = [f"{name}_s" for name in vocab.STATES]
COLUMNS = ["record", "device", "seq", "t_s", "time_utc", "kind", "a", "b", *STATE_COLUMNS,
           "tilt_mean_cdeg", "tilt_min_cdeg", "tilt_max_cdeg", "transitions", "log"]


def records(store: Store, start_s: float, end_s: float) -> Iterator[dict[str, Any]]:
    for row in store.export_rows(start_s, end_s):
        address, log_id, record, seq, t_s = row[:5]
        values = row[5:]
        item: dict[str, Any] = {
            "record": record,
            "device": address,
            "seq": seq,
            "t_s": t_s,
            "time_utc": datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if record == "event":
            item.update(kind=vocab.event_name(values[0]), a=values[1], b=values[2])
        else:
            item.update(zip(STATE_COLUMNS, values[0:6], strict=True))
            item.update(tilt_mean_cdeg=values[6], tilt_min_cdeg=values[7], tilt_max_cdeg=values[8],
                        transitions=values[9])
        # The device log's id in hex, as the device reports it: sequence numbers start again with a new log.
        item["log"] = "" if log_id is None else f"{log_id:08x}"
        yield item


def write_csv(store: Store, out: TextIO, start_s: float, end_s: float) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for item in records(store, start_s, end_s):
        writer.writerow(item)
        count += 1
    return count


def write_jsonl(store: Store, out: TextIO, start_s: float, end_s: float) -> int:
    count = 0
    for item in records(store, start_s, end_s):
        out.write(json.dumps(item, separators=(",", ":")) + "\n")
        count += 1
    return count
