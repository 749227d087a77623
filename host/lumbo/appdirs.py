"""Where lumbo keeps its files: the log database, the settings file and the remembered device.

Each location can be moved by an environment variable (and by a command-line option where the command has
one), so tests and a second profile never touch the wearer's own files.
"""

import os
from pathlib import Path

import platformdirs

APP_NAME = "lumbo"
DB_ENV = "LUMBO_DB"
CONFIG_ENV = "LUMBO_CONFIG"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The log database: the option if given, else $LUMBO_DB, else lumbo.sqlite3 in the user's data folder."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return data_dir() / "lumbo.sqlite3"


def config_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The settings file: the option if given, else $LUMBO_CONFIG, else config.json in the config folder."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return config_dir() / "config.json"


def private_dir(path: Path) -> Path:
    """Create a folder (and its parents) readable by the owner only; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
