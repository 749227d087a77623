"""lumbo's loader, at the root of the board: starts the firmware folder that /lumbo/active names.

`lumbo flash` stages a new firmware in the folder that is not running (/lumbo/a or /lumbo/b), writes its
manifest last, and only then points /lumbo/active at it with one rename. So a board whose update was cut
off still boots the previous firmware; the loader checks the manifest's files before it trusts a folder,
falls back to the other folder if it must, and says so. The wearer's files live in /data and are never
touched by an update.
"""

import os
import sys

BASE = "/lumbo"
ACTIVE = "/lumbo/active"
DATA = "/data"

slot = None
version = None
safe_mode = None


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def manifest(name):
    """The folder's manifest if every file it lists is there at its size; None otherwise."""
    import json

    if name not in ("a", "b"):
        return None
    text = _read(BASE + "/" + name + "/manifest.json")
    if text is None:
        return None
    try:
        found = json.loads(text)
        sizes = found["sizes"]
    except (ValueError, KeyError, TypeError):
        return None
    for path in sizes:
        try:
            if os.stat(BASE + "/" + name + "/" + path)[6] != sizes[path]:
                return None
        except OSError:
            return None
    return found


def boot():
    """Put the firmware on the import path and say which one runs (or why none does)."""
    global slot, version, safe_mode
    wanted = _read(ACTIVE)
    other = "b" if wanted == "a" else "a"
    chosen = None
    found = manifest(wanted) if wanted else None
    if found is not None:
        chosen = wanted
    else:
        found = manifest(other)
        if found is not None:
            chosen = other
    if chosen is None:
        safe_mode = "no complete lumbo firmware on this board; run `lumbo flash`"
        print("lumbo safe mode: " + safe_mode)
        return
    slot = chosen
    version = found.get("version", "?")
    folder = BASE + "/" + chosen
    sys.path.insert(0, folder + "/lib")
    sys.path.insert(0, folder)
    if chosen != wanted:
        safe_mode = "the last update did not finish; running the previous firmware " + version
        print("lumbo safe mode: " + safe_mode)
    print("lumbo firmware " + version + " in " + folder)


def run_app():
    """Run the firmware's main.py, if this firmware has one."""
    if slot is None:
        return
    path = BASE + "/" + slot + "/main.py"
    if _read(path) is None:
        print("lumbo: firmware " + str(version) + " has no main.py yet; the board stays at the REPL")
        return
    with open(path) as f:
        source = f.read()
    exec(source, {"__name__": "__main__"})
