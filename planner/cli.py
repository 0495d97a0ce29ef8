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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
