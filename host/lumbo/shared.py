"""The shared modules for host code. They are written for MicroPython too and import `micropython.const`,
which CPython gets from lumbo.mpcompat's shim: host modules import them from here, never directly."""

from lumbo import mpcompat

mpcompat.install()

from lumbo_shared import codec, protocol, settings, vocab  # noqa: E402

__all__ = ["codec", "protocol", "settings", "vocab"]
