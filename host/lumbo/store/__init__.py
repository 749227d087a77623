"""The host's log of everything the device recorded, in SQLite (see store.py for the guarantees)."""

from lumbo.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreTooNew
from lumbo.store.records import Event, Minute, RecordError
from lumbo.store.store import Device, IngestResult, Store, open_store

__all__ = [
    "Device",
    "Event",
    "IngestResult",
    "Minute",
    "RecordError",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreTooNew",
    "open_store",
]
