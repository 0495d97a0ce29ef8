"""Every shipped spec loads; every kind of bad spec gives one clear error naming file, key and fix."""
import re

import pytest
import yaml

from simulators.spec import SpecError, load_spec

from ..conftest import SPECS


def test_five_shipped_specs_load():
    names = {load_spec(p).name for p in SPECS}
    assert {"dsp", "mcu", "npu", "cpu", "gpu"} <= names


def test_units_are_normalised():
    spec = load_spec([p for p in SPECS if p.stem == "dsp"][0])
    dram = spec.weight_memory
    assert spec.clock_hz == 800e6
    assert dram.capacity_bytes == 2 * 2**30
    assert dram.timings_cycles["tRCD"] == pytest.approx(18e-9 * 1600e6)  # ns converted to memory cycles
    assert dram.timings_cycles["tCL"] == 28
    assert spec.budgets.latency_s == pytest.approx(0.15e-3)
    assert spec.budgets.weight_memory_bytes == 640 * 1024


def _write(tmp_path, text, name="spec.yaml"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def _mutated(tmp_path, edit):
    data = yaml.safe_load([p for p in SPECS if p.stem == "dsp"][0].read_text())
    edit(data)
    return _write(tmp_path, yaml.safe_dump(data))


BAD = [
    ("missing field", lambda d: d.pop("clock"), r"clock: missing required field"),
    ("wrong unit", lambda d: d.__setitem__("clock", "800 MB"), r"clock: unknown unit 'MB'"),
    ("bare number", lambda d: d["memories"]["tcm"].__setitem__("capacity", 4096), r"memories\.tcm\.capacity: a size needs a unit"),
    ("negative size", lambda d: d["memories"]["tcm"].__setitem__("capacity", "-4 KiB"), r"capacity: a size must be > 0"),
    ("unknown format", lambda d: d["formats"].__setitem__("zstd", {}), r"formats\.zstd: unknown format"),
    ("typo key", lambda d: d["memories"]["lpddr4x"].__setitem__("bus_widht_bytes", 2), r"bus_widht_bytes: unknown key"),
    ("NaN", lambda d: d["compute"]["macs_per_cycle"].__setitem__("int8", float("nan")), r"macs_per_cycle\.int8: .*finite"),
    ("huge", lambda d: d.__setitem__("clock", "1e30 GHz"), r"clock: .*implausibly large"),
    ("zero rate", lambda d: d["formats"]["csr"].__setitem__("decode_entries_per_cycle", 0), r"decode_entries_per_cycle"),
    ("zero bandwidth", lambda d: d["memories"]["lpddr4x"].__setitem__("peak_bandwidth", "0 GB/s"), r"peak_bandwidth: a bandwidth must be > 0"),
    ("inconsistent bandwidth", lambda d: d["memories"]["lpddr4x"].__setitem__("peak_bandwidth", "12.8 GB/s"), r"disagrees"),
    ("wrong type", lambda d: d["compute"].__setitem__("skips_zero_weights", [1, 2]), r"skips_zero_weights"),
    ("missing timing", lambda d: d["memories"]["lpddr4x"].pop("tRCD"), r"tRCD: missing"),
    ("timing without unit", lambda d: d["memories"]["lpddr4x"].__setitem__("tRP", 18), r"tRP: .*needs a unit"),
    ("dangling memory", lambda d: d["weights"].__setitem__("memory", "hbm"), r"weights\.memory names 'hbm'"),
    ("bad format param", lambda d: d["formats"]["nm"].__setitem__("params", {"n": 4, "m": 4}), r"formats\.nm\.params"),
    ("unknown dtype", lambda d: d["weights"].__setitem__("dtype", "int3"), r"dtype 'int3' unknown"),
    ("negative host issue", lambda d: d["compute"].__setitem__("host_issue_cycles", -5), r"compute\.host_issue_cycles: .*greater than or equal to 0"),
    ("zero row rate", lambda d: d["formats"]["csr"].__setitem__("decode_rows_per_cycle", 0), r"formats\.csr\.decode_rows_per_cycle"),
    ("host setup as text", lambda d: d["formats"]["csr"].__setitem__("host_setup_cycles", "lots"), r"formats\.csr\.host_setup_cycles"),
]


@pytest.mark.parametrize("label,edit,pattern", BAD, ids=[b[0] for b in BAD])
def test_bad_spec_names_file_key_and_fix(tmp_path, label, edit, pattern):
    path = _mutated(tmp_path, edit)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    msg = str(e.value)
    assert str(path) in msg
    assert re.search(pattern, msg), msg


def test_hostile_files(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    cases = {
        "bomb.yaml": (bomb, "aliases"),
        "latin1.yaml": (b"name: caf\xe9\n", "not UTF-8"),
        "list.yaml": ("- 1\n- 2\n", "expected a mapping"),
        "broken.yaml": ("a: [1, 2\n", "not valid YAML"),
        "huge.yaml": ("# " + "x" * 300_000, "must be under"),
        "deep.yaml": ("a: " + "[" * 5000 + "]" * 5000, "nested too deeply|not valid YAML"),
    }
    for name, (text, pattern) in cases.items():
        with pytest.raises(SpecError, match=pattern):
            load_spec(_write(tmp_path, text, name))
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.yaml")
