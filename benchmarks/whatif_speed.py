"""What-if sweep time: 5 specs x 10 latency budgets on the built-in model, cold curve cache then warm.

    python benchmarks/whatif_speed.py
"""
import shutil
import tempfile
import time
from pathlib import Path

from planner.builtin import load_asr_lstm
from planner.curves import load_or_compute
from planner.layers import calibrate, find_layers
from planner.structure import structure_for, structure_key
from planner.whatif import make_points, run_sweep
from simulators.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def main():
    specs = sorted((ROOT / "hw_specs").glob("*.yaml"))
    model, calib, _ = load_asr_lstm()
    t0 = time.perf_counter()
    layers = calibrate(model, find_layers(model), calib)
    t_cal = time.perf_counter() - t0
    structures = {}
    for p in specs:
        s = load_spec(p)
        for f in s.formats:
            if f != "dense":
                structures[structure_key(structure_for(s.format(f)))] = structure_for(s.format(f))
    lat = [0.02 * 1.5**k for k in range(10)]  # 0.02 .. 0.77 ms
    points = make_points([str(p) for p in specs], lat, None, [])
    work = Path(tempfile.mkdtemp())
    try:
        for label in ("cold", "warm"):
            if label == "cold":
                shutil.rmtree(work / "cache", ignore_errors=True)
            shutil.rmtree(work / "out", ignore_errors=True)
            t0 = time.perf_counter()
            load_or_compute(layers, structures, work / "cache", progress=False)
            t_curves = time.perf_counter() - t0
            df = run_sweep(points, layers, work / "out", work / "cache", "local", progress=False)
            total = time.perf_counter() - t0
            print(f"{label} cache: {len(points)} points ({int(df.feasible.sum())} feasible) in {total:.1f} s "
                  f"(curves {t_curves:.1f} s, calibration {t_cal:.1f} s once)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
