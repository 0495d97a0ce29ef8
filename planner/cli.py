"""Command-line interface: a thin layer over the library (``planner --help``)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from simulators.spec import SpecError, load_spec
from simulators.units import format_bytes
from simulators.workload import builtin_lstm_asr

from .report import table_text, to_json


class _Friendly(click.Group):
    """Turn expected failures (bad input) into one clear message and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (SpecError, ValueError, FileNotFoundError, PermissionError) as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=_Friendly)
@click.version_option(package_name="sparsity-planner")
def main():
    """Hardware-aware sparsity planner and hardware-cost simulator."""


def _load_specs(paths: tuple[str, ...]):
    if not paths:
        raise click.UsageError("give at least one --hw spec, e.g. --hw hw_specs/dsp.yaml")
    return [load_spec(p) for p in paths]


@main.command()
@click.option("--hw", "hw", multiple=True, required=True, type=click.Path(dir_okay=False), help="hardware spec YAML (repeatable)")
@click.option("--density", type=float, default=1.0, show_default=True, help="fraction of weights kept")
@click.option("--format", "format_name", default="dense", show_default=True, help="compression format")
@click.option("--batch", type=int, default=None, help="input columns per step (default: the spec's weights.batch)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the random weights and masks")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), default=None,
              help="write the memory request trace (DRAMsim3 format) to this file")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def simulate(hw, density, format_name, batch, seed, trace_path, as_json):
    """Simulate one inference step of the built-in LSTM ASR layer list, cycle by cycle."""
    from simulators.trace import write_trace

    from .simulate_cmd import simulate_shapes

    out = []
    for spec in _load_specs(hw):
        shapes = builtin_lstm_asr()
        result, table = simulate_shapes(shapes, spec, density, format_name, batch, seed, keep_trace=bool(trace_path))
        if trace_path:
            path = Path(trace_path) if len(hw) == 1 else Path(trace_path).with_suffix(f".{spec.name}.trace")
            n = write_trace(path, *result.trace)
            click.echo(f"wrote {n} requests to {path}", err=True)
        budget_s, budget_b = spec.budgets.latency_s, spec.budgets.weight_memory_bytes
        totals = {
            "spec": spec.name, "format": format_name, "density": density,
            "cycles": result.total_cycles, "time_ms": result.total_s * 1e3, "bytes": result.total_bytes,
            "latency_budget_ms": budget_s * 1e3, "memory_budget_bytes": budget_b,
            "analytic_cycles": float(table["analytic_cycles"].sum()),
        }
        out.append({"totals": totals, "layers": table})
        if not as_json:
            click.echo(f"== {spec.name}: {spec.description}")
            click.echo(table_text(table[["layer", "rows", "cols", "format", "density", "bytes", "read_cycles",
                                         "decode_cycles", "compute_cycles", "stall_cycles", "cycles", "time_us",
                                         "analytic_err"]],
                                  {"density": "{:.3f}", "read_cycles": "{:.0f}", "decode_cycles": "{:.0f}",
                                   "compute_cycles": "{:.0f}", "stall_cycles": "{:.0f}", "cycles": "{:.0f}",
                                   "time_us": "{:.1f}", "analytic_err": "{:+.2%}"}))
            ok_t = "within" if result.total_s <= budget_s else "OVER"
            ok_m = "within" if result.total_bytes <= budget_b else "OVER"
            click.echo(f"total: {result.total_cycles:.0f} cycles = {result.total_s * 1e3:.3f} ms per step "
                       f"({ok_t} budget {budget_s * 1e3:g} ms); weights {format_bytes(result.total_bytes)} "
                       f"({ok_m} budget {format_bytes(budget_b)}); analytic model {totals['analytic_cycles'] / result.total_cycles - 1:+.2%}")
    if as_json:
        click.echo(to_json(out if len(out) > 1 else out[0]))


def _bounds(min_density, keep_dense, formats, config_path):
    from .plan import Bounds

    b = Bounds()
    if config_path:
        import yaml

        try:
            cfg = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            raise ValueError(f"cannot read config {config_path}: {e}") from None
        if not isinstance(cfg, dict):
            raise ValueError(f"{config_path}: expected a mapping with min_density / formats / layers")
        unknown = set(cfg) - {"min_density", "formats", "layers"}
        if unknown:
            raise ValueError(f"{config_path}: unknown key(s) {sorted(unknown)}; use min_density, formats, layers")
        b.min_density = float(cfg.get("min_density", b.min_density))
        b.formats = cfg.get("formats")
        for pat, opts in (cfg.get("layers") or {}).items():
            if not isinstance(opts, dict) or set(opts) - {"min_density", "keep_dense"}:
                raise ValueError(f"{config_path}: layers.{pat} takes min_density and/or keep_dense")
            if "min_density" in opts:
                b.per_layer_min[pat] = float(opts["min_density"])
            if opts.get("keep_dense"):
                b.keep_dense.append(pat)
                if opts.get("min_density", 1.0) < 1.0:
                    pass  # kept dense wins; the bound is then moot
    if min_density is not None:
        b.min_density = min_density
    b.keep_dense += list(keep_dense)
    if formats:
        b.formats = [f.strip() for f in formats.split(",") if f.strip()]
    return b


@main.command()
@click.option("--hw", "hw", multiple=True, required=True, type=click.Path(dir_okay=False), help="hardware spec YAML (repeatable: the plan fits every target)")
@click.option("--model", default=None, help="built-in name (asr_lstm, the default), TorchScript file, or module:factory")
@click.option("--checkpoint", default=None, type=click.Path(dir_okay=False), help="state dict to load into a module:factory model")
@click.option("--calib", default=None, type=click.Path(dir_okay=False), help="calibration inputs (.pt tensor/list, .npy, .npz)")
@click.option("--latency-ms", type=float, default=None, help="latency budget per inference step (default: each spec's)")
@click.option("--latency-cycles", type=float, default=None, help="latency budget in core cycles of each spec")
@click.option("--memory-mb", type=float, default=None, help="weight-memory budget in MiB (default: each spec's)")
@click.option("--min-density", type=float, default=None, help="lowest density any layer may get")
@click.option("--keep-dense", multiple=True, help="layer name pattern kept dense (repeatable, fnmatch)")
@click.option("--formats", default=None, help="comma-separated formats allowed (default: all the targets share)")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="YAML with min_density, formats, layers: {pattern: {min_density, keep_dense}}")
@click.option("--out", "out_path", default="out/plan.yaml", show_default=True, type=click.Path(dir_okay=False), help="plan file to write")
@click.option("--cache-dir", default=".cache/curves", show_default=True, type=click.Path(file_okay=False), help="where distortion curves are cached")
@click.option("--json", "as_json", is_flag=True, help="print the plan as JSON instead of a table")
@click.option("--quiet", is_flag=True, help="no progress bars")
def plan(hw, model, checkpoint, calib, latency_ms, latency_cycles, memory_mb, min_density, keep_dense, formats,
         config_path, out_path, cache_dir, as_json, quiet):
    """Plan per-layer sparsity and formats for one or several targets under latency and memory budgets."""
    from .layers import calibrate, find_layers
    from .model_source import load_model, tensor_hash
    from .plan import make_plan
    from .plan_io import plan_document, write_plan

    specs = _load_specs(hw)
    for what, v in (("--latency-ms", latency_ms), ("--latency-cycles", latency_cycles), ("--memory-mb", memory_mb)):
        if v is not None and not v > 0:
            raise ValueError(f"{what} must be positive, got {v}")
    bounds = _bounds(min_density, keep_dense, formats, config_path)
    src = load_model(model, calib, checkpoint)
    layers = find_layers(src.model)
    if not layers:
        raise ValueError(f"model {src.name!r} has no prunable layer (Linear, Conv1d/2d, LSTM or GRU)")
    if not quiet:
        click.echo(f"calibrating {len(layers)} layers on {len(src.calibration)} inputs...", err=True)
    calibrate(src.model, layers, src.calibration)
    lat = {h.name: latency_cycles if latency_cycles else (latency_ms * 1e-3 if latency_ms else h.budgets.latency_s) * h.clock_hz
           for h in specs}
    mem = {h.name: memory_mb * 2**20 if memory_mb else h.budgets.weight_memory_bytes for h in specs}
    result = make_plan(layers, specs, lat, mem, bounds, Path(cache_dir), progress=not quiet)
    model_info = {"name": src.name, "hash": tensor_hash([l.weight for l in layers]), "layers": len(layers),
                  "metrics": {k: round(float(v), 6) for k, v in src.metrics.items() if isinstance(v, (int, float))}}
    calib_info = {"hash": tensor_hash(src.calibration), "inputs": len(src.calibration)}
    paths = write_plan(result, out_path, model_info, calib_info)
    if as_json:
        click.echo(to_json(plan_document(result, model_info, calib_info)))
        return
    _print_plan(result, specs, paths)


def _print_plan(result, specs, paths):
    import pandas as pd

    rows = []
    for l in result.layers:
        row = {"layer": l.name, "shape": f"{l.rows}x{l.cols}", "format": l.format, "density": l.density,
               "nonzeros": l.nnz, "distortion": l.distortion}
        for h in specs:
            t = l.per_target[h.name]
            row[f"{h.name}_bytes"] = t["bytes"]
            row[f"{h.name}_us"] = t["simulated_cycles"] / h.clock_hz * 1e6
        rows.append(row)
    df = pd.DataFrame(rows)
    fmt = {"density": "{:.3f}", "distortion": "{:.4f}", **{f"{h.name}_us": "{:.1f}" for h in specs}}
    click.echo(table_text(df, fmt))
    total_nnz = sum(l.nnz for l in result.layers)
    total_w = sum(l.rows * l.cols for l in result.layers)
    click.echo(f"\n{total_nnz} of {total_w} weights kept (density {total_nnz / total_w:.3f}); "
               f"total distortion {sum(l.distortion for l in result.layers):.4f}; "
               f"{result.solver['program']} solved by {result.solver['solver']} in {len(result.solver['rounds'])} round(s)")
    for h in specs:
        t = result.targets[h.name]
        sim, dense, bud = t["simulated"], t["dense"], t["budgets"]
        click.echo(f"{h.name}: latency {sim['seconds'] * 1e3:.3f} ms (budget {bud['latency_s'] * 1e3:.3f} ms, dense "
                   f"{dense['seconds'] * 1e3:.3f} ms, {dense['seconds'] / sim['seconds']:.2f}x faster); memory "
                   f"{format_bytes(sim['bytes'])} (budget {format_bytes(bud['memory_bytes'])}, dense {format_bytes(dense['bytes'])})")
    click.echo(f"wrote {paths['plan']}, {paths['masks'].name}, {paths['torch_ao'].name}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
