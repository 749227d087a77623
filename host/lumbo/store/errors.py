"""What can go wrong with the log database, each with a message that says what to do."""


class StoreError(RuntimeError):
    """The log database cannot be used; the message says why and what to do."""


class StoreBusy(StoreError):
    """Another program held the database locked for longer than lumbo waits."""


class StoreCorrupt(StoreError):
    """The database file is damaged or is not a lumbo database. lumbo never writes over it."""


class StoreTooNew(StoreError):
    """The database was written by a newer lumbo, whose schema this one does not know."""
