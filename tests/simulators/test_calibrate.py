"""Measurement tables, fitting spec fields to measured calls, cross-validation, and writing fitted values back."""
import numpy as np
import pandas as pd
import pytest
import yaml

from simulators.calibrate import cross_validate, fit_spec, parse_fit_fields, rewrite_spec_text, summary
from simulators.measurements import normalise_measurements, predict_seconds, read_measurements, with_speedups
from simulators.spec import load_spec, parse_spec, set_fields

from ..conftest import REFERENCE, SPECS

GPU_PATH = [p for p in SPECS if p.stem == "gpu"][0]
# CSR calls on the host floor would hide the SpMV rate: without the format's host set-up they show it
GPU = set_fields(yaml.safe_load(GPU_PATH.read_text()), [("formats.csr.host_setup_cycles", 0)], "gpu")
TRUE = {"compute.host_issue_cycles": 40000.0, "formats.csr.setup_cycles": 20000.0,
        "formats.csr.decode_entries_per_cycle": 150.0, "formats.csr.batched_decode_entries_per_cycle": 12.0}


def _calls(shapes=((2048, 512), (4096, 1024), (8192, 1024))):
    rows = [(r, c, b, f, d) for r, c in shapes for b in (1, 16)
            for f, d in [("dense", 1.0), ("csr", 0.5), ("csr", 0.2), ("csr", 0.05)]]
    return pd.DataFrame(rows, columns=["rows", "cols", "batch", "format", "density"])


def _synthetic(values=TRUE, noise=0.0, seed=0):
    """Calls timed by a spec with known field values (optionally with log-normal noise)."""
    spec = parse_spec(set_fields(GPU, values.items(), "truth"), "truth")
    df = _calls()
    t = predict_seconds(spec, df.assign(seconds=1.0))
    t = t * np.exp(np.random.default_rng(seed).normal(0, noise, t.size))
    return normalise_measurements(df.assign(seconds=t))


def test_reads_the_reference_file_with_its_aliases():
    df = read_measurements(REFERENCE / "h100_fp16_matvec.csv")
    assert len(df) == 54 and {"rows", "cols", "density", "seconds"} <= set(df.columns)
    first = df.iloc[0]
    assert (first.rows, first.cols, first.batch, first.format) == (4096, 1024, 1, "dense")
    assert first.seconds == pytest.approx(19.06e-6) and first.density == 1.0
    assert set(df.format) == {"dense", "2:4", "csr"}


@pytest.mark.parametrize("text,message", [
    ("rows,cols,batch,format\n1,2,1,dense\n", "missing column"),
    ("out,in,batch,format,sparsity,median_us\n4,4,1,dense,0.0,-3\n", "row 1 is not a valid measurement"),
    ("out,in,batch,format,sparsity,median_us\n4,4,1,dense,1.5,3\n", "row 1 is not a valid measurement"),
    ("out,in,batch,format,sparsity,median_us\n", "no measurement rows"),
    ("", "cannot read measurements"),
])
def test_bad_measurement_files_say_what_is_wrong(tmp_path, text, message):
    p = tmp_path / "m.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_measurements(p)


def test_nm_labels_need_matching_spec_parameters():
    spec = load_spec(GPU_PATH)
    df = normalise_measurements(pd.DataFrame([(64, 64, 1, "2:8", 0.25, 1e-5)],
                                             columns=["rows", "cols", "batch", "format", "density", "seconds"]))
    with pytest.raises(ValueError, match=r"formats.nm with params \{n: 2, m: 8\}"):
        predict_seconds(spec, df)
    with pytest.raises(ValueError, match="not in spec"):
        predict_seconds(spec, df.assign(format="bsr"))


def test_speedups_pair_each_call_with_the_dense_call_of_its_shape_and_batch():
    df = normalise_measurements(pd.DataFrame(
        [(8, 8, 1, "dense", 1.0, 2.0), (8, 8, 1, "csr", 0.5, 4.0), (8, 8, 2, "dense", 1.0, 1.0),
         (8, 8, 2, "csr", 0.5, 0.5)], columns=["rows", "cols", "batch", "format", "density", "seconds"]))
    out = with_speedups(df, np.array([2.0, 2.0, 1.0, 2.0]))
    assert list(out.measured_speedup) == [1.0, 0.5, 1.0, 2.0]
    assert list(out.predicted_speedup) == [1.0, 1.0, 1.0, 0.5]
    assert list(out.speedup_error) == [0.0, 1.0, 0.0, -0.75]


def test_fit_recovers_the_fields_that_timed_the_calls():
    measured = _synthetic()
    start = {k: v * f for (k, v), f in zip(TRUE.items(), (1.6, 0.6, 2.0, 0.7))}
    cal = fit_spec(GPU, "gpu", measured, start)
    for k, v in TRUE.items():
        assert cal.values[k] == pytest.approx(v, rel=0.01), k
    assert summary(cal.table)["time_median_error"] < 1e-3


def test_robust_fit_is_dragged_less_than_least_squares_by_a_few_wild_calls():
    measured = _synthetic()
    wild = measured.seconds.copy()
    wild.iloc[[3, 10, 17]] *= 3.0  # three calls three times slower than the rest say
    measured = measured.assign(seconds=wild)

    def worst_field_error(f_scale):
        cal = fit_spec(GPU, "gpu", measured, dict(TRUE), f_scale=f_scale)
        return max(abs(np.log(cal.values[k] / v)) for k, v in TRUE.items()), cal

    robust, cal = worst_field_error(0.1)
    squares, _ = worst_field_error(1e6)  # soft-L1 with a huge scale is plain least squares
    assert robust < 0.75 * squares
    untouched = cal.table.drop(index=[3, 10, 17])
    assert untouched.time_error.abs().median() < 0.02


def test_cross_validation_predicts_each_shape_from_the_others():
    measured = _synthetic(noise=0.03)
    cv = cross_validate(GPU, "gpu", measured, parse_fit_fields(list(TRUE), GPU))
    assert len(cv) == len(measured) and cv["fold"].nunique() == 3
    assert summary(cv)["time_median_error"] < 0.1
    single = cross_validate(GPU, "gpu", measured[measured.rows == 2048].reset_index(drop=True), dict(TRUE),
                            groups=("batch",))
    assert single["fold"].nunique() == 2


def test_fit_fields_need_a_positive_start():
    with pytest.raises(ValueError, match="needs a positive number"):
        parse_fit_fields(["compute.layer_overhead_cycles"], GPU)  # 0 in gpu.yaml
    assert parse_fit_fields(["compute.layer_overhead_cycles=5"], GPU) == {"compute.layer_overhead_cycles": 5.0}
    with pytest.raises(ValueError, match="a quantity with a unit"):
        parse_fit_fields(["memories.hbm3.controller_latency"], GPU)
    with pytest.raises(ValueError, match="unknown key"):
        fit_spec(GPU, "gpu", _synthetic(), {"compute.host_isue_cycles": 5.0})


def test_rewrite_keeps_comments_and_changes_only_the_values():
    text = GPU_PATH.read_text()
    base = yaml.safe_load(text)
    values = {"formats.csr.setup_cycles": 12345.0, "formats.csr.decode_entries_per_cycle": 99.5}
    new = rewrite_spec_text(text, values)
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert len(changed) == 2
    for a, b in changed:
        assert a.split("#")[1:] == b.split("#")[1:]  # the comment is kept
    spec = parse_spec(yaml.safe_load(new), "new")
    assert spec.formats["csr"].setup_cycles == 12345 and spec.formats["csr"].decode_entries_per_cycle == 99.5
    assert spec == parse_spec(set_fields(base, values.items(), "x"), "new")


def test_rewrite_adds_a_missing_field_to_its_mapping():
    text = GPU_PATH.read_text()
    new = rewrite_spec_text(text, {"formats.dense.host_setup_cycles": 7.25, "formats.nm.decode_rows_per_cycle": 3.0})
    spec = parse_spec(yaml.safe_load(new), "new")
    assert spec.formats["dense"].host_setup_cycles == 7.25 and spec.formats["nm"].decode_rows_per_cycle == 3.0
    assert len(new.splitlines()) == len(text.splitlines()) + 2
    with pytest.raises(ValueError, match="no 'nothere'"):
        rewrite_spec_text(text, {"nothere.x": 1.0})
