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
            host = ["host_cycles"] if table["host_cycles"].any() else []  # only where a host issues the calls
            click.echo(table_text(table[["layer", "rows", "cols", "format", "density", "bytes", "read_cycles",
                                         "decode_cycles", "compute_cycles", *host, "stall_cycles", "cycles",
                                         "time_us", "analytic_err"]],
                                  {"density": "{:.3f}", "read_cycles": "{:.0f}", "decode_cycles": "{:.0f}",
                                   "compute_cycles": "{:.0f}", "host_cycles": "{:.0f}", "stall_cycles": "{:.0f}",
                                   "cycles": "{:.0f}", "time_us": "{:.1f}", "analytic_err": "{:+.2%}"}))
            ok_t = "within" if result.total_s <= budget_s else "OVER"
            ok_m = "within" if result.total_bytes <= budget_b else "OVER"
            click.echo(f"total: {result.total_cycles:.0f} cycles = {result.total_s * 1e3:.3f} ms per step "
                       f"({ok_t} budget {budget_s * 1e3:g} ms); weights {format_bytes(result.total_bytes)} "
                       f"({ok_m} budget {format_bytes(budget_b)}); analytic model {totals['analytic_cycles'] / result.total_cycles - 1:+.2%}")
    if as_json:
        click.echo(to_json(out if len(out) > 1 else out[0]))


@main.command()
@click.option("--hw", "hw", required=True, type=click.Path(dir_okay=False), help="hardware spec YAML to check or fit")
@click.option("--measured", required=True, type=click.Path(dir_okay=False),
              help="CSV of measured calls: rows (out), cols (in), batch, format, density (or sparsity), seconds (or median_us)")
@click.option("--fit", "fit_items", multiple=True,
              help="spec field to fit, KEY or KEY=START, e.g. formats.csr.setup_cycles (repeatable or comma-separated)")
@click.option("--method", type=click.Choice(["analytic", "simulate"]), default="analytic", show_default=True,
              help="predict with the analytic model or the cycle-level simulator (random weights at each density)")
@click.option("--cv/--no-cv", default=True, show_default=True, help="with --fit: also refit with each matrix shape held out")
@click.option("--tolerance", type=float, default=0.20, show_default=True, help="relative error counted as a hit")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="with --fit: write the spec with the fitted values (comments kept; never over an existing file)")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of tables")
def calibrate(hw, measured, fit_items, method, cv, tolerance, out_path, as_json):
    """Compare a spec's predictions with measured calls; with --fit, fit those spec fields to them first."""
    from simulators.calibrate import summary_line

    from .calibrate_cmd import run_calibration, write_spec

    if out_path and not fit_items:
        raise click.UsageError("--out writes fitted values: give --fit KEY at least once")
    rep = run_calibration(hw, measured, list(fit_items), method, cv, tolerance)
    written = write_spec(rep.spec_text, out_path) if out_path else None
    if as_json:
        click.echo(to_json({"fields": rep.fields, "calls": rep.table, "summary": rep.summary,
                            "cross_validation": rep.cross_validation, "written": str(written) if written else None}))
        return
    if not rep.fields.empty:
        click.echo(table_text(rep.fields, {"start": "{:.4g}", "fitted": "{:.4g}"}))
    click.echo(table_text(rep.table, {"density": "{:.3f}", "measured_us": "{:.1f}", "predicted_us": "{:.1f}",
                                      "time_error": "{:+.1%}", "measured_speedup": "{:.3f}",
                                      "predicted_speedup": "{:.3f}", "speedup_error": "{:+.1%}"}))
    for label, s in (("fitted" if fit_items else "spec", rep.summary), ("held-out shapes", rep.cross_validation)):
        if s:
            click.echo(summary_line(label, s))
    if written:
        click.echo(f"wrote {written}")


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
@click.option("--sparsity", type=float, default=None, help="also require this overall fraction of zeros (0-1)")
@click.option("--sensitivity", type=click.Choice(["probe", "uniform"]), default="probe", show_default=True,
              help="layer weights in the objective: end-to-end output probe, or every layer alike")
@click.option("--min-density", type=float, default=None, help="lowest density any layer may get")
@click.option("--keep-dense", multiple=True, help="layer name pattern kept dense (repeatable, fnmatch)")
@click.option("--formats", default=None, help="comma-separated formats allowed (default: all the targets share)")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="YAML with min_density, formats, layers: {pattern: {min_density, keep_dense}}")
@click.option("--out", "out_path", default="out/plan.yaml", show_default=True, type=click.Path(dir_okay=False), help="plan file to write")
@click.option("--cache-dir", default=".cache/curves", show_default=True, type=click.Path(file_okay=False), help="where distortion curves are cached")
@click.option("--json", "as_json", is_flag=True, help="print the plan as JSON instead of a table")
@click.option("--quiet", is_flag=True, help="no progress bars")
def plan(hw, model, checkpoint, calib, latency_ms, latency_cycles, memory_mb, sparsity, sensitivity, min_density, keep_dense, formats,
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
    if sparsity is not None and not 0 <= sparsity < 1:
        raise ValueError(f"--sparsity must be in [0, 1), got {sparsity}")
    probe = None
    if sensitivity == "probe":
        from .sensitivity import output_probe

        probe = lambda curves: output_probe(src.model, layers, curves, src.calibration)  # noqa: E731
    result = make_plan(layers, specs, lat, mem, bounds, Path(cache_dir), progress=not quiet, sensitivity=probe,
                       max_density=None if sparsity is None else 1.0 - sparsity)
    model_info = {"name": src.name, "source": model or "asr_lstm", "hash": tensor_hash([l.weight for l in layers]), "layers": len(layers),
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
                   f"{dense['seconds'] * 1e3:.3f} ms, speed-up {dense['seconds'] / sim['seconds']:.2f}x); memory "
                   f"{format_bytes(sim['bytes'])} (budget {format_bytes(bud['memory_bytes'])}, dense {format_bytes(dense['bytes'])})")
    click.echo(f"wrote {paths['plan']}, {paths['masks'].name}, {paths['torch_ao'].name}")


def _plan_and_model(plan_path, model, checkpoint, calib=None, need_calibration=True):
    from .model_source import load_model
    from .plan_io import read_plan
    from .training.pruner import check_plan_matches

    doc, masks = read_plan(plan_path)
    src = load_model(model or doc["model"].get("source", doc["model"]["name"]), calib, checkpoint, need_calibration)
    check_plan_matches(src.model, doc)
    return doc, masks, src


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False), help="plan.yaml from `planner plan`")
@click.option("--model", default=None, help="the model the plan was made for (default: the plan's model name)")
@click.option("--checkpoint", default=None, type=click.Path(dir_okay=False), help="state dict for a module:factory model")
@click.option("--calib", default=None, type=click.Path(dir_okay=False), help="calibration inputs (for the refit)")
@click.option("--no-refit", is_flag=True, help="only mask; do not refit the kept weights by least squares")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="where to write the pruned state dict")
def apply(plan_path, model, checkpoint, calib, no_refit, out_path):
    """Apply a plan's masks to its model (torch parametrisations), refit the kept weights, save the state dict."""
    import torch

    from .cs import damped, refit
    from .layers import Layer, calibrate
    from .training import masking

    out = Path(out_path)
    if out.exists():
        raise ValueError(f"{out} exists; choose another --out (nothing was overwritten)")
    doc, masks, src = _plan_and_model(plan_path, model, checkpoint, calib, need_calibration=not no_refit)
    layers = [Layer(l["name"], masking.original(src.model, l["name"]).detach().reshape(l["rows"], -1).float().clone())
              for l in doc["layers"]]
    if not no_refit:
        calibrate(src.model, layers, src.calibration)
    with torch.no_grad():
        for l in layers:
            mask = torch.from_numpy(masks[l.name])
            if not no_refit and not bool(mask.all()):
                w = refit(l.weight, damped(l.gram).float(), mask, l.weight, iters=60)
                masking.original(src.model, l.name).copy_(w.reshape(masking.original(src.model, l.name).shape))
            if isinstance(src.model, torch.jit.ScriptModule):  # no parametrisations in TorchScript: mask in place
                masking.original(src.model, l.name).mul_(mask.reshape(masking.original(src.model, l.name).shape))
            else:
                masking.attach(src.model, l.name, mask)
    if not isinstance(src.model, torch.jit.ScriptModule):
        masking.squash(src.model, [l.name for l in layers])
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(src.model.state_dict(), out)
    kept = sum(int(m.sum()) for m in masks.values())
    total = sum(m.size for m in masks.values())
    click.echo(f"applied {plan_path} to {src.name}: {kept} of {total} weights kept; wrote {out}")


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--case", type=click.Choice(["asr_lstm"]), default="asr_lstm", show_default=True)
@click.option("--select", type=click.Choice(["cs", "magnitude"]), default="cs", show_default=True,
              help="how weights are chosen at each pruning step")
@click.option("--steps", type=int, default=600, show_default=True)
@click.option("--prune-start", type=int, default=0, show_default=True)
@click.option("--prune-end", type=int, default=None, help="step at which the plan's densities are reached (default 70% of steps)")
@click.option("--frequency", type=int, default=50, show_default=True, help="steps between mask updates")
@click.option("--lr", type=float, default=2e-4, show_default=True)
@click.option("--eval-every", type=int, default=100, show_default=True, help="dev evaluation; the best dev WER after the last mask update is kept")
@click.option("--checkpoint-every", type=int, default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--resume", is_flag=True, help="continue the run in --out from its last checkpoint")
@click.option("--quiet", is_flag=True)
def finetune(plan_path, case, select, steps, prune_start, prune_end, frequency, lr, eval_every, checkpoint_every,
             seed, out_dir, resume, quiet):
    """Prune gradually to a plan while fine-tuning the built-in ASR case; checkpoints, resumable, CSV log."""
    from .plan_io import read_plan
    from .training.finetune import FinetuneConfig, finetune_asr

    doc, _ = read_plan(plan_path)
    if doc["model"]["name"] != case:
        raise ValueError(f"{plan_path} was made for model {doc['model']['name']!r}, not the {case!r} case")
    cfg = FinetuneConfig(steps=steps, select=select, prune_start=prune_start, prune_end=prune_end, frequency=frequency,
                         lr=lr, eval_every=eval_every, checkpoint_every=checkpoint_every, seed=seed)
    res = finetune_asr(doc, out_dir, cfg, resume=resume, progress=not quiet)
    click.echo(f"test WER {res['test_wer']:.4f} CER {res['test_cer']:.4f} at sparsity {res['sparsity']:.3f}; "
               f"model in {Path(out_dir) / 'final.pt'}, log in {Path(out_dir) / 'log.csv'}")


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--hw", required=True, type=click.Path(dir_okay=False), help="spec whose format parameters and alignment to use")
@click.option("--model", default=None)
@click.option("--checkpoint", default=None, type=click.Path(dir_okay=False), help="pruned state dict (apply/finetune output)")
@click.option("--dtype", default=None, help="stored value type (default: the spec's weights.dtype)")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def export(plan_path, hw, model, checkpoint, dtype, out_dir):
    """Encode a pruned model's layers in the plan's formats (exact byte layouts) with a manifest; report latency."""
    import torch

    from .training.export import export_model, simulate_export

    spec = load_spec(hw)
    doc, _, src = _plan_and_model(plan_path, model, None, need_calibration=False)
    if checkpoint:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        try:
            src.model.load_state_dict(state)
        except RuntimeError as e:
            raise ValueError(f"checkpoint {checkpoint} does not match the model: {str(e).splitlines()[0]}") from None
    manifest = export_model(src.model, doc, spec, out_dir, dtype)
    sim = simulate_export(out_dir, spec)
    click.echo(f"wrote {manifest} ({format_bytes(sim.total_bytes)} in {len(doc['layers'])} layers); "
               f"simulated on {spec.name}: {sim.total_cycles:.0f} cycles = {sim.total_s * 1e3:.3f} ms per step")


def _values(text: str | None, what: str) -> list[float] | None:
    """``1,2,5`` or a range ``start:stop:count`` (inclusive, evenly spaced)."""
    if text is None:
        return None
    try:
        if ":" in text:
            a, b, n = text.split(":")
            vals = [float(v) for v in __import__("numpy").linspace(float(a), float(b), int(n))]
        else:
            vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what} takes a list like 1,2,5 or a range start:stop:count, got {text!r}") from None
    if not vals or any(not v > 0 for v in vals):
        raise ValueError(f"{what} values must be positive, got {text!r}")
    return vals


@main.command()
@click.argument("more_specs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--hw", "hw", multiple=True, type=click.Path(dir_okay=False), help="spec YAML; `--hw hw_specs/*.yaml` works")
@click.option("--latency-ms", default=None, help="latency budgets: 1,2,5 or start:stop:count (default: each spec's)")
@click.option("--memory-mb", default=None, help="memory budgets: 1,2,5 or start:stop:count (default: each spec's)")
@click.option("--set", "sets", multiple=True, help="sweep a spec field: KEY=V1,V2 (e.g. memories.lpddr4x.bus_width_bytes=2,4,8)")
@click.option("--model", default=None)
@click.option("--checkpoint", default=None, type=click.Path(dir_okay=False))
@click.option("--calib", default=None, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="out/whatif", show_default=True, type=click.Path(file_okay=False))
@click.option("--cache-dir", default=".cache/curves", show_default=True, type=click.Path(file_okay=False))
@click.option("--executor", type=click.Choice(["local", "serial", "dask"]), default="local", show_default=True)
@click.option("--workers", type=int, default=None, help="local processes (default: all cores)")
@click.option("--address", default=None, help="Dask scheduler address (with --executor dask; default: a local cluster)")
@click.option("--quiet", is_flag=True)
def whatif(more_specs, hw, latency_ms, memory_mb, sets, model, checkpoint, calib, out_dir, cache_dir, executor,
           workers, address, quiet):
    """Plan the model on every spec x override x budget; write CSV/Parquet tables, plots and an HTML report."""
    from .curves import load_or_compute
    from .layers import calibrate, find_layers
    from .model_source import load_model
    from .structure import structure_for, structure_key
    from .whatif import apply_overrides, make_points, run_sweep, write_tables
    from .whatif_report import write_report

    paths = list(hw) + list(more_specs)
    if not paths:
        raise click.UsageError("give specs with --hw, e.g. --hw hw_specs/*.yaml")
    points = make_points(paths, _values(latency_ms, "--latency-ms"), _values(memory_mb, "--memory-mb"), list(sets))
    from simulators.spec import parse_spec, read_spec_data

    structures = {}
    for path in paths:  # validate every spec variant up front, and learn which mask structures are needed
        _, raw = read_spec_data(path)
        parse_spec(raw, path)  # the file itself first: its own errors name it
        for p in {pt.overrides for pt in points if pt.spec_path == path}:
            spec = parse_spec(apply_overrides(raw, p, path), path)
            for f in spec.formats:
                if f != "dense":
                    st = structure_for(spec.format(f))
                    structures[structure_key(st)] = st
    src = load_model(model, calib, checkpoint)
    layers = calibrate(src.model, find_layers(src.model), src.calibration)
    load_or_compute(layers, structures, Path(cache_dir), progress=not quiet)  # warm the shared cache once
    df = run_sweep(points, layers, out_dir, cache_dir, executor, workers, address, progress=not quiet)
    tables = write_tables(df, out_dir)
    report = write_report(df, out_dir)
    cols = ["spec", "override", "latency_budget_ms", "memory_budget_mb", "feasible", "distortion", "sparsity",
            "latency_ms", "memory_mb", "format_mix", "reason"]
    shown = df[[c for c in cols if c in df]].copy()
    if "reason" in shown:
        shown["reason"] = shown["reason"].fillna("").str.slice(0, 60)
    click.echo(table_text(shown, {"latency_budget_ms": "{:.3f}", "memory_budget_mb": "{:.3f}", "distortion": "{:.4f}",
                                  "sparsity": "{:.3f}", "latency_ms": "{:.3f}", "memory_mb": "{:.3f}"}))
    click.echo(f"{int(df['feasible'].sum())} of {len(df)} points feasible; wrote {tables['csv']}, {tables['parquet']}, "
               f"{report['report']} and plots in {out_dir}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
