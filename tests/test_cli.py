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


GPU = str([p for p in SPECS if p.stem == "gpu"][0])


def _measured(tmp_path, host_us=20.0):
    """Calls timed by gpu.yaml with its host issue time set to ``host_us``: what a fit should find again."""
    import numpy as np
    import pandas as pd
    import yaml

    from simulators.measurements import normalise_measurements, predict_seconds
    from simulators.spec import parse_spec, set_fields

    data = set_fields(yaml.safe_load(open(GPU).read()), [("compute.host_issue_cycles", host_us * 1755)], "gpu")
    spec = parse_spec(data, "truth")
    calls = pd.DataFrame([(r, 1024, b, f, s) for r in (1024, 4096, 16384) for b in (1, 8)
                          for f, s in [("dense", 0.0), ("csr", 0.5), ("csr", 0.9)]],
                         columns=["out", "in", "batch", "format", "sparsity"])
    t = predict_seconds(spec, normalise_measurements(calls.assign(median_us=1.0)))
    path = tmp_path / "measured.csv"
    calls.assign(median_us=np.round(t * 1e6, 3)).to_csv(path, index=False)
    return path


def test_calibrate_checks_fits_and_writes_the_spec(tmp_path):
    measured = _measured(tmp_path)
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured)])
    assert r.exit_code == 0, r.output
    assert "spec: time within 20%" in r.output and "held-out" not in r.output
    out = tmp_path / "fitted.yaml"
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured), "--fit",
                                  "compute.host_issue_cycles", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert abs(data["fields"][0]["fitted"] / (20.0 * 1755) - 1) < 0.01
    assert data["summary"]["time_within"] == data["summary"]["calls"] == 18
    assert data["cross_validation"]["calls"] == 18
    from simulators.spec import load_spec

    assert abs(load_spec(out).compute.host_issue_cycles / (20.0 * 1755) - 1) < 0.01
    assert "# fitted" in out.read_text()  # the spec's comments are kept
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured), "--fit",
                                  "compute.host_issue_cycles", "--out", str(out), "--no-cv"])
    assert r.exit_code != 0 and "exists" in r.output


def test_calibrate_bad_input_is_one_clear_line(tmp_path):
    measured = _measured(tmp_path)
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured), "--out", "x.yaml"])
    assert r.exit_code != 0 and "--out writes fitted values" in r.output
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured), "--fit", "compute.nothere=3"])
    assert r.exit_code != 0 and "compute.nothere: unknown key" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(measured), "--fit", "compute.layer_overhead_cycles"])
    assert r.exit_code != 0 and "needs a positive number" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("out,in,format\n1,2,dense\n")
    r = CliRunner().invoke(main, ["calibrate", "--hw", GPU, "--measured", str(bad)])
    assert r.exit_code != 0 and "missing column" in r.output
