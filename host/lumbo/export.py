"""The log as plain files for other tools: CSV (one table) or JSON Lines (one object per record).

Both carry every record with its device, sequence number and time (Unix seconds and ISO 8601 UTC).
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
           "tilt_mean_cdeg", "tilt_min_cdeg", "tilt_max_cdeg", "transitions"]


def records(store: Store, start_s: float, end_s: float) -> Iterator[dict[str, Any]]:
    for row in store.export_rows(start_s, end_s):
        address, record, seq, t_s = row[:4]
        item: dict[str, Any] = {
            "record": record,
            "device": address,
            "seq": seq,
            "t_s": t_s,
            "time_utc": datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if record == "event":
            item.update(kind=vocab.event_name(row[4]), a=row[5], b=row[6])
        else:
            item.update(zip(STATE_COLUMNS, row[4:10], strict=True))
            item.update(tilt_mean_cdeg=row[10], tilt_min_cdeg=row[11], tilt_max_cdeg=row[12], transitions=row[13])
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
