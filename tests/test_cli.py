"""The command line as a user runs it: tables, JSON, traces, and clear errors instead of tracebacks."""
import json

from click.testing import CliRunner

from planner.cli import main

from .conftest import SPECS

DSP = str([p for p in SPECS if p.stem == "dsp"][0])


def test_simulate_table_and_json(tmp_path):
    r = CliRunner().invoke(main, ["simulate", "--hw", DSP, "--density", "0.3", "--format", "csr"])
    assert r.exit_code == 0, r.output
    assert "lstm0.weight_ih" in r.output and "total:" in r.output
    r = CliRunner().invoke(main, ["simulate", "--hw", DSP, "--json", "--trace", str(tmp_path / "t.trc")])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["totals"]["bytes"] == sum(row["bytes"] for row in data["layers"])
    lines = (tmp_path / "t.trc").read_text().splitlines()
    assert len(lines) == sum(row["bytes_moved"] for row in data["layers"]) // 32  # one line per 32 B burst
    addr, op, cycle = lines[1].split()
    assert addr.startswith("0x") and op == "READ" and int(cycle) == 1


def test_bad_input_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\n")
    r = CliRunner().invoke(main, ["simulate", "--hw", str(bad)])
    assert r.exit_code != 0 and "Traceback" not in r.output and "clock: missing required field" in r.output
    r = CliRunner().invoke(main, ["simulate", "--hw", DSP, "--format", "zip"])
    assert r.exit_code != 0 and "does not support format 'zip'" in r.output
    r = CliRunner().invoke(main, ["simulate", "--hw", DSP, "--density", "0"])
    assert r.exit_code != 0 and "--density must be in (0, 1]" in r.output
