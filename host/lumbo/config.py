"""The wearer's settings on this computer: a small JSON file, kept apart from the log (which is state).

Two kinds of keys live here. Device settings (the table in lumbo_shared.settings: sit_limit_s, quiet hours,
...) are validated against that table and sent to the device when `lumbo run` connects. Host preferences
shape the prompts: which routines to prefer or avoid, whether the wearer has leg symptoms, do-not-disturb
and where notifications go.
"""

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lumbo import routines
from lumbo.appdirs import private_dir
from lumbo.shared import settings as device_settings

NOTIFY_CHOICES = ("auto", "desktop", "terminal")
_DURATION = re.compile(r"^(\d+)\s*(m|min|h)$")


class ConfigError(ValueError):
    """A key that does not exist or a value it does not take; the message lists what it takes."""


def _routine_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        try:
            routines.by_name(name)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return names


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "y", "true", "on", "1"):
        return True
    if value in ("no", "n", "false", "off", "0"):
        return False
    raise ConfigError(f"say yes or no, not {text!r}")


def _notify(text: str) -> str:
    if text not in NOTIFY_CHOICES:
        raise ConfigError(f"choose one of {', '.join(NOTIFY_CHOICES)}, not {text!r}")
    return text


def parse_dnd(text: str, now_s: float) -> float | None:
    """'off' -> None; 'on' -> forever (inf); '90m' / '2h' -> until that many minutes/hours from now."""
    value = text.strip().lower()
    if value == "off":
        return None
    if value == "on":
        return float("inf")
    match = _DURATION.match(value)
    if match is None:
        raise ConfigError(f"do-not-disturb takes on, off or a duration such as 45m or 2h, not {text!r}")
    amount = int(match.group(1))
    return now_s + amount * (3600 if match.group(2) == "h" else 60)


# Host preferences: key -> (parser from the command line, default, help).
HOST_KEYS: dict[str, tuple[Callable[[str], Any], Any, str]] = {
    "prefer": (_routine_list, [], "routines to suggest first, comma-separated (e.g. extension,walk)"),
    "avoid": (_routine_list, [], "routines never to suggest, comma-separated"),
    "leg_symptoms": (_yes_no, False, "yes if you have leg pain, numbness or tingling: adds nerve flossing"),
    "notifications": (_notify, "auto", "auto (desktop, else terminal), desktop or terminal"),
}
DND_KEY = "dnd"


def _atomic_write(path: Path, text: str) -> None:
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Config:
    """The settings file. Missing keys take their defaults; unknown keys in the file are an error."""

    def __init__(self, path: Path, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self.values: dict[str, Any] = dict(values or {})

    @classmethod
    def load(cls, path: Path) -> "Config":
        if not path.exists():
            return cls(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the settings file {path} ({exc}); fix or remove it") from None
        if not isinstance(values, dict):
            raise ConfigError(f"the settings file {path} must hold a JSON object; fix or remove it")
        config = cls(path, values)
        config.validate()
        return config

    def validate(self) -> None:
        device = {k: v for k, v in self.values.items() if k in device_settings.names()}
        for key in self.values:
            if key not in device and key not in HOST_KEYS and key != DND_KEY:
                raise ConfigError(f"unknown setting {key!r} in {self.path}; known: {', '.join(known_keys())}")
        try:
            device_settings.validate_all(device)
        except device_settings.SettingError as exc:
            raise ConfigError(f"{self.path}: {exc}") from None

    def save(self) -> None:
        _atomic_write(self.path, json.dumps(self.values, indent=2, sort_keys=True) + "\n")

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        if key in HOST_KEYS:
            return self.values.get(key, HOST_KEYS[key][1])
        if key == DND_KEY:
            return self.values.get(DND_KEY)
        if key in device_settings.names():
            return self.device_settings()[key]
        raise ConfigError(f"unknown setting {key!r}; known: {', '.join(known_keys())}")

    def device_settings(self) -> dict[str, int]:
        """Every device setting: the wearer's value where set, the default otherwise."""
        merged = device_settings.defaults()
        merged.update({k: v for k, v in self.values.items() if k in merged})
        return merged

    def device_overrides(self) -> dict[str, int]:
        """Only the device settings the wearer changed (what to send to the device)."""
        return {k: v for k, v in self.values.items() if k in device_settings.names()}

    def dnd_until_s(self) -> float | None:
        value = self.values.get(DND_KEY)
        if value is None:
            return None
        return float("inf") if value == "on" else float(value)

    # -- changing ---------------------------------------------------------------------------------------

    def set(self, key: str, text: str, now_s: float | None = None) -> Any:
        """Parse and validate one value as typed on the command line, store it, return it."""
        now_s = time.time() if now_s is None else now_s
        if key in HOST_KEYS:
            value = HOST_KEYS[key][0](text)
        elif key == DND_KEY:
            until = parse_dnd(text, now_s)
            value = None if until is None else ("on" if until == float("inf") else until)
        elif key in device_settings.names():
            try:
                number = int(text)
            except ValueError:
                unit = device_settings.spec(key)[4]
                raise ConfigError(f"{key} takes a whole number of {unit}, not {text!r}") from None
            candidate = self.device_overrides()
            candidate[key] = number
            try:
                device_settings.validate_all(candidate)
            except device_settings.SettingError as exc:
                raise ConfigError(str(exc)) from None
            value = number
        else:
            raise ConfigError(f"unknown setting {key!r}; known: {', '.join(known_keys())}")
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value
        return value

    def unset(self, key: str) -> None:
        if key not in known_keys():
            raise ConfigError(f"unknown setting {key!r}; known: {', '.join(known_keys())}")
        self.values.pop(key, None)


def known_keys() -> list[str]:
    return [*device_settings.names(), *HOST_KEYS, DND_KEY]


def load(path: Path) -> Config:
    return Config.load(path)
