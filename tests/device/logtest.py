"""Where device-log tests keep their files: littlefs on a RAM flash chip under MicroPython (the board's
filesystem), a temporary directory under CPython."""

import os

from devtest import ON_MICROPYTHON

MOUNT = "/lfs"
_state = {"mounted": False, "tmp": None, "dev": None}

if ON_MICROPYTHON:
    from cutflash import CutFlash

    # The one RAM flash chip of this process, made when the test module is imported, before the
    # firmware fills the 112 KB heap: 16 KB in one piece is hard to find later.
    _state["dev"] = CutFlash(512, 32)


def flash():
    return _state["dev"]


def fresh_root():
    """An empty directory path for a log, on a newly formatted filesystem."""
    cleanup()
    if ON_MICROPYTHON:
        import vfs

        dev = flash()
        dev.revive()
        vfs.VfsLfs2.mkfs(dev)
        vfs.mount(vfs.VfsLfs2(dev), MOUNT)
        _state["mounted"] = True
        _state["dev"] = dev
        return MOUNT + "/log"
    import tempfile

    _state["tmp"] = tempfile.mkdtemp(prefix="lumbo-devlog-")
    return _state["tmp"] + "/log"


def remount():
    """Unmount and mount again (MicroPython), as a reboot does; nothing to do on a host directory."""
    if ON_MICROPYTHON and _state["mounted"]:
        import vfs

        vfs.umount(MOUNT)
        vfs.mount(vfs.VfsLfs2(_state["dev"]), MOUNT)


def cleanup():
    if _state["mounted"]:
        import vfs

        vfs.umount(MOUNT)
        _state["mounted"] = False
    if _state["tmp"]:
        import shutil

        shutil.rmtree(_state["tmp"], ignore_errors=True)
        _state["tmp"] = None


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def segment_files(root):
    return sorted(name for name in os.listdir(root) if name.startswith("s") and len(name) == 9)
