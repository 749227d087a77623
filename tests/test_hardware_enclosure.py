"""The case model renders headless to a closed STL mesh of the size its parameters say."""

import re
import shutil
import subprocess
from collections import Counter

import pytest

from conftest import REPO

SCAD = REPO / "hardware" / "enclosure" / "lumbo_case.scad"


def openscad():
    found = shutil.which("openscad")
    if not found:
        pytest.fail("openscad is not installed: the enclosure test needs it (Debian: apt-get install -y openscad)")
    return found


def render(tmp_path, **params):
    out = tmp_path / "case.stl"
    cmd = [openscad(), "-o", str(out)]
    for name, value in params.items():
        cmd += ["-D", f'{name}="{value}"']
    result = subprocess.run([*cmd, str(SCAD)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    size = re.search(r"outside size \(mm\): \[([\d.]+), ([\d.]+), ([\d.]+)\], "
                     r"clip gap ([\d.]+), clip ([\d.]+), flare ([\d.]+)", result.stderr)
    assert size, result.stderr
    return out, [float(v) for v in size.groups()]


def read_ascii_stl(path):
    triangles = []
    current = []
    for line in path.read_text().splitlines():
        words = line.split()
        if words and words[0] == "vertex":
            current.append(tuple(round(float(v), 4) for v in words[1:4]))
            if len(current) == 3:
                triangles.append(tuple(current))
                current = []
    return triangles


def signed_volume(triangles):
    total = 0.0
    for a, b, c in triangles:
        total += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                  + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6.0
    return total


@pytest.mark.parametrize("build", ["xiao", "devkit"])
def test_case_renders_to_a_closed_mesh_of_the_stated_size(tmp_path, build):
    stl, (length, width, height, gap, clip, flare) = render(tmp_path, build=build, part="all")
    triangles = read_ascii_stl(stl)
    assert len(triangles) > 100
    # Closed and consistently oriented: every directed edge appears once and its reverse once.
    edges = Counter()
    for a, b, c in triangles:
        for edge in ((a, b), (b, c), (c, a)):
            edges[edge] += 1
    assert all(n == 1 for n in edges.values()), "an edge is shared by more than two faces"
    assert all(edges[(b, a)] == 1 for (a, b) in edges), "the mesh has a hole"
    assert signed_volume(triangles) > 0, "the mesh is inside out"
    xs = [v[0] for t in triangles for v in t]
    ys = [v[1] for t in triangles for v in t]
    zs = [v[2] for t in triangles for v in t]
    # Base and lid side by side with an 8 mm gap; the clip hangs below the base by the belt gap, its tongue
    # and the flare of its free end.
    assert max(xs) - min(xs) == pytest.approx(length, abs=0.05)
    assert max(ys) - min(ys) == pytest.approx(2 * width + 8, abs=0.05)
    assert min(zs) == pytest.approx(-(gap + clip + flare), abs=0.05)
    assert max(zs) == pytest.approx(height, abs=0.05)


def test_the_devkit_case_is_bigger_than_the_xiao_case(tmp_path):
    _, xiao = render(tmp_path, build="xiao", part="base")
    _, devkit = render(tmp_path, build="devkit", part="base")
    assert devkit[0] > xiao[0] and devkit[1] > xiao[1]
