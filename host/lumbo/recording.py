"""Read and write `lumbo-imu/1` recordings: IMU samples as CSV (optionally gzip), labels beside them.

Format, in short (docs/recording-format.md has it in full):

    # format=lumbo-imu/1
    # rate_hz=50
    # calibration_s=2.0-7.5
    t_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps[,qw,qx,qy,qz,gt_valid][,more columns]
    0.000000,0.981,...

Labels live in `NAME.labels.csv` (header `start_s,end_s,label`).
"""

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "lumbo-imu/1"
SAMPLE_COLUMNS = ("t_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps")
QUAT_COLUMNS = ("qw", "qx", "qy", "qz")
LABELS = ("sitting", "standing", "lying", "walking", "stairs", "transition")
LABELS_HEADER = "start_s,end_s,label"

# Decimal places written per column: enough for the sensors' resolution, few enough to keep files small.
_DECIMALS = {"t_s": 6, "ax_g": 6, "ay_g": 6, "az_g": 6, "gx_dps": 4, "gy_dps": 4, "gz_dps": 4,
             "qw": 7, "qx": 7, "qy": 7, "qz": 7, "gt_valid": 0}
_DEFAULT_DECIMALS = 6
_ROWS_PER_CHUNK = 50_000


class RecordingError(ValueError):
    """A recording or labels file that does not follow lumbo-imu/1; the message says where and why."""


@dataclass(frozen=True)
class Label:
    start_s: float
    end_s: float
    label: str


@dataclass
class Recording:
    """Samples in the sensor's own axes. accel_g and gyro_dps have shape (n, 3)."""

    t_s: np.ndarray
    accel_g: np.ndarray
    gyro_dps: np.ndarray
    meta: dict[str, str] = field(default_factory=dict)
    quat: np.ndarray | None = None  # (n, 4) qw, qx, qy, qz: IMU frame to earth frame (ENU)
    gt_valid: np.ndarray | None = None  # (n,) bool
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # further columns, by name
    labels: list[Label] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if self.accel_g.shape != (n, 3) or self.gyro_dps.shape != (n, 3):
            raise RecordingError(
                f"recording {self.name or '(unnamed)'}: accel_g and gyro_dps must be ({n}, 3) arrays, "
                f"got {self.accel_g.shape} and {self.gyro_dps.shape}"
            )
        if self.quat is not None and self.quat.shape != (n, 4):
            raise RecordingError(f"recording {self.name}: quat must be ({n}, 4), got {self.quat.shape}")
        for key, column in self.extra.items():
            if len(column) != n:
                raise RecordingError(f"recording {self.name}: column {key} has {len(column)} rows, not {n}")

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def rate_hz(self) -> float:
        """The nominal rate from the metadata, or the median rate of the timestamps."""
        if "rate_hz" in self.meta:
            return float(self.meta["rate_hz"])
        if len(self.t_s) < 2:
            raise RecordingError(f"recording {self.name}: no rate_hz and too few samples to infer one")
        return float(1.0 / np.median(np.diff(self.t_s)))

    @property
    def calibration_s(self) -> tuple[float, float] | None:
        """The span during which the wearer stood upright and still, if the recording has one."""
        text = self.meta.get("calibration_s")
        if not text:
            return None
        return parse_span(text, f"recording {self.name}: calibration_s")


def parse_span(text: str, where: str) -> tuple[float, float]:
    try:
        start, end = (float(part) for part in text.split("-", 1))
    except ValueError:
        raise RecordingError(f"{where}: expected START-END in seconds, got {text!r}") from None
    if not end > start >= 0:
        raise RecordingError(f"{where}: span {text!r} must have 0 <= START < END")
    return start, end


def stem(path: Path) -> str:
    """The recording's name: its file name without .csv or .csv.gz."""
    name = path.name
    for suffix in (".csv.gz", ".csv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def labels_path(path: Path) -> Path:
    return path.with_name(stem(path) + ".labels.csv")


def find_recordings(folder: Path) -> list[Path]:
    """Every lumbo-imu/1 recording in a folder (not its labels files), sorted by name."""
    if not folder.is_dir():
        raise RecordingError(f"{folder} is not a folder of recordings")
    found = [p for p in folder.iterdir()
             if (p.name.endswith(".csv") or p.name.endswith(".csv.gz")) and not p.name.endswith(".labels.csv")]
    return sorted(found)


def _open_text(path: Path, mode: str) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        # mtime=0 keeps the bytes of a written file the same from run to run.
        if "w" in mode:
            raw = gzip.GzipFile(filename="", mode="wb", fileobj=open(path, "wb"), mtime=0)
            return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        return gzip.open(path, mode + "t", encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", newline="\n" if "w" in mode else "")


def read(path: Path | str, with_labels: bool = True) -> Recording:
    """Read a recording (and its labels file, if there is one)."""
    path = Path(path)
    try:
        handle = _open_text(path, "r")
    except OSError as exc:
        raise RecordingError(f"cannot open recording {path}: {exc.strerror}") from None
    with handle:
        try:
            first = handle.readline().strip()
            if first != "# format=" + FORMAT:
                raise RecordingError(
                    f"{path}:1: not a {FORMAT} recording (first line must be '# format={FORMAT}', got {first[:60]!r})"
                )
            meta: dict[str, str] = {}
            line_no = 1
            while True:
                line = handle.readline()
                line_no += 1
                if not line:
                    raise RecordingError(f"{path}:{line_no}: the file ends before the header row")
                if not line.startswith("#"):
                    break
                key, sep, value = line[1:].strip().partition("=")
                if not sep:
                    raise RecordingError(
                        f"{path}:{line_no}: metadata lines must be '# key=value', got {line.strip()!r}"
                    )
                meta[key.strip()] = value.strip()
            header = [c.strip() for c in line.strip().split(",")]
            if tuple(header[: len(SAMPLE_COLUMNS)]) != SAMPLE_COLUMNS:
                raise RecordingError(
                    f"{path}:{line_no}: the header must start with {','.join(SAMPLE_COLUMNS)}, got {line.strip()!r}"
                )
            if len(set(header)) != len(header):
                raise RecordingError(f"{path}:{line_no}: the header names a column twice")
            body = handle.read()
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise RecordingError(f"{path}: cannot read the file ({exc}); is it truncated or not text?") from None
    data = _parse_rows(body, len(header), path, line_no)
    columns = {name: data[:, i] for i, name in enumerate(header)}
    t_s = columns.pop("t_s")
    if len(t_s) > 1 and not np.all(np.diff(t_s) > 0):
        bad = int(np.argmax(np.diff(t_s) <= 0))
        raise RecordingError(f"{path}:{line_no + bad + 2}: t_s must increase from row to row")
    accel = np.column_stack([columns.pop(c) for c in SAMPLE_COLUMNS[1:4]])
    gyro = np.column_stack([columns.pop(c) for c in SAMPLE_COLUMNS[4:7]])
    quat = None
    if all(c in columns for c in QUAT_COLUMNS):
        quat = np.column_stack([columns.pop(c) for c in QUAT_COLUMNS])
    gt_valid = columns.pop("gt_valid").astype(bool) if "gt_valid" in columns else None
    rec = Recording(t_s=t_s, accel_g=accel, gyro_dps=gyro, meta=meta, quat=quat, gt_valid=gt_valid,
                    extra=columns, name=stem(path))
    if meta.get("calibration_s"):
        parse_span(meta["calibration_s"], f"{path}: calibration_s")
    if with_labels and labels_path(path).exists():
        rec.labels = read_labels(labels_path(path))
    return rec


def _parse_rows(body: str, n_columns: int, path: Path, header_line: int) -> np.ndarray:
    if not body.strip():
        return np.empty((0, n_columns))
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise RecordingError(
            f"{path}: a sample row is malformed ({exc}); rows start after line {header_line}"
        ) from None
    if data.shape[1] != n_columns:
        raise RecordingError(f"{path}: rows have {data.shape[1]} values but the header names {n_columns} columns")
    if not np.all(np.isfinite(data)):
        row = int(np.argmax(~np.all(np.isfinite(data), axis=1)))
        raise RecordingError(f"{path}:{header_line + row + 1}: a value is not a finite number")
    return data


def write(path: Path | str, rec: Recording, write_labels: bool = True) -> Path:
    """Write a recording; the bytes depend only on its contents. Returns the path written."""
    path = Path(path)
    names = list(SAMPLE_COLUMNS)
    columns = [rec.t_s, *rec.accel_g.T, *rec.gyro_dps.T]
    if rec.quat is not None:
        names += list(QUAT_COLUMNS)
        columns += list(rec.quat.T)
    if rec.gt_valid is not None:
        names.append("gt_valid")
        columns.append(rec.gt_valid.astype(np.int64))
    for key, column in rec.extra.items():
        names.append(key)
        columns.append(column)
    row_format = ",".join(f"%.{_DECIMALS.get(n, _DEFAULT_DECIMALS)}f" if _DECIMALS.get(n, 1) else "%d"
                          for n in names) + "\n"
    table = np.column_stack(columns) if columns else np.empty((0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open_text(path, "w") as out:
        out.write(f"# format={FORMAT}\n")
        for key, value in rec.meta.items():
            if key == "format":
                continue
            if "\n" in str(value) or "=" in key:
                raise RecordingError(f"metadata {key!r}: keys cannot contain '=' and values cannot span lines")
            out.write(f"# {key}={value}\n")
        out.write(",".join(names) + "\n")
        for start in range(0, len(table), _ROWS_PER_CHUNK):
            chunk = table[start : start + _ROWS_PER_CHUNK]
            # One big %-format per chunk runs in C: several times faster than np.savetxt.
            out.write((row_format * len(chunk)) % tuple(chunk.ravel().tolist()))
    if write_labels and rec.labels:
        write_labels_file(labels_path(path), rec.labels)
    return path


def read_labels(path: Path | str) -> list[Label]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RecordingError(f"cannot read labels {path}: {exc.strerror}") from None
    if not lines or lines[0].strip() != LABELS_HEADER:
        raise RecordingError(f"{path}:1: a labels file starts with the header {LABELS_HEADER!r}")
    labels = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            raise RecordingError(f"{path}:{n}: expected start_s,end_s,label, got {line!r}")
        try:
            start, end = float(parts[0]), float(parts[1])
        except ValueError:
            raise RecordingError(f"{path}:{n}: start_s and end_s must be numbers, got {line!r}") from None
        if parts[2] not in LABELS:
            raise RecordingError(f"{path}:{n}: unknown label {parts[2]!r}; known: {', '.join(LABELS)}")
        if not end > start:
            raise RecordingError(f"{path}:{n}: end_s must be after start_s")
        labels.append(Label(start, end, parts[2]))
    return labels


def write_labels_file(path: Path | str, labels: Iterable[Label]) -> None:
    lines = [LABELS_HEADER] + [f"{lab.start_s:.3f},{lab.end_s:.3f},{lab.label}" for lab in labels]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def label_at(labels: list[Label], t_s: np.ndarray) -> np.ndarray:
    """The label at each time (an object array; '' where no label covers the time)."""
    out = np.full(len(t_s), "", dtype=object)
    for lab in labels:
        out[(t_s >= lab.start_s) & (t_s < lab.end_s)] = lab.label
    return out


def iter_recordings(folder: Path) -> Iterator[Recording]:
    for path in find_recordings(folder):
        yield read(path)
