"""What-if sweeps: the same rows serially, in local processes and on a local Dask cluster; failed points are rows;
an interrupted sweep resumes; tables, plots and the report are written."""
import json

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from planner.cli import main
from planner.layers import calibrate, find_layers
from planner.whatif import make_points, parse_set, run_sweep
from tests.conftest import SPECS
from tests.fixtures.models import TinyAsr

DSP = str([p for p in SPECS if p.stem == "dsp"][0])
CPU = str([p for p in SPECS if p.stem == "cpu"][0])
COMPARE = ["point", "spec", "override", "feasible", "reason", "distortion", "sparsity", "latency_ms", "memory_mb",
           "format_mix", "layer_densities"]


@pytest.fixture(scope="module")
def layers():
    torch.manual_seed(0)
    m = TinyAsr(12, 24, 10)
    return calibrate(m, find_layers(m), [torch.randn(1, 16, 12) for _ in range(3)])


@pytest.fixture(scope="module")
def points():
    return make_points([DSP, CPU], [0.004, 0.02], [0.005, 0.00001], ["weights.tile=1 KiB,4 KiB"])


def test_executors_agree_and_failures_are_rows(tmp_path, layers, points):
    cache = tmp_path / "cache"
    serial = run_sweep(points, layers, tmp_path / "serial", cache, "serial", progress=False)
    assert len(serial) == len(points) == 16
    failed = serial[~serial["feasible"]]
    assert len(failed) >= 8 and failed["reason"].str.contains("cannot be met").all()
    assert failed["reason"].str.contains("memory budget 10 bytes").sum() >= 8
    assert serial["feasible"].any()
    dask = run_sweep(points, layers, tmp_path / "dask", cache, "dask", progress=False)
    pd.testing.assert_frame_equal(serial[COMPARE], dask[COMPARE])
    local = run_sweep(points, layers, tmp_path / "local", cache, "local", workers=2, progress=False)
    pd.testing.assert_frame_equal(serial[COMPARE], local[COMPARE])


def test_interrupted_sweep_resumes(tmp_path, layers, points, monkeypatch):
    import planner.whatif as whatif

    out = tmp_path / "sweep"
    run_sweep(points[:5], layers, out, tmp_path / "cache", "serial", progress=False)
    ran = []
    real = whatif.run_point
    monkeypatch.setattr(whatif, "run_point", lambda p, *a: ran.append(p.key) or real(p, *a))
    df = run_sweep(points, layers, out, tmp_path / "cache", "serial", progress=False)
    assert len(ran) == len(points) - 5 and set(ran).isdisjoint(p.key for p in points[:5])
    assert list(df["point"]) == [p.key for p in points]


def test_bad_sweep_arguments():
    with pytest.raises(ValueError, match="KEY=V1,V2"):
        parse_set("weights.tile")
    assert parse_set("memories.lpddr4x.bus_width_bytes=2,4") == ("memories.lpddr4x.bus_width_bytes", [2, 4])


def test_cli_writes_tables_plots_and_report(tmp_path):
    torch.save([torch.randn(1, 20, 24) for _ in range(3)], tmp_path / "calib.pt")
    r = CliRunner().invoke(main, ["whatif", "--hw", DSP, CPU, "--model", "tests.fixtures.models:tiny_asr",
                                  "--calib", str(tmp_path / "calib.pt"), "--latency-ms", "0.005:0.02:2",
                                  "--memory-mb", "0.02", "--set", "weights.tile=2 KiB,8 KiB", "--out", str(tmp_path / "w"),
                                  "--cache-dir", str(tmp_path / "c"), "--executor", "serial", "--quiet"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "w"
    df = pd.read_parquet(out / "whatif.parquet")
    assert len(df) == 8 and set(df["spec"]) == {"dsp", "cpu"}
    assert df.equals(pd.read_parquet(out / "whatif.parquet"))
    for name in ("frontier", "densities", "formats"):
        assert (out / f"{name}.png").stat().st_size > 1000 and (out / f"{name}.svg").exists()
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Error vs latency frontier" in html
    r = CliRunner().invoke(main, ["whatif", "--hw", DSP, "--set", "memories.nothere.x=1", "--out", str(tmp_path / "x")])
    assert r.exit_code != 0 and "has no key 'nothere'" in r.output
    mix = json.loads(df.loc[df["feasible"]].iloc[0]["format_mix"])
    assert abs(sum(mix.values()) - 1) < 1e-3
