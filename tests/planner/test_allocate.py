"""The convex program: hull pieces, known answers, format choice, infeasibility reports, scale."""
import numpy as np
import pytest

from planner.allocate import Budgets, Infeasible, Option, allocate, convex_pieces


def test_convex_pieces_lower_hull():
    x = np.array([1.0, 0.5, 0.3, 0.1])
    y = np.array([0.0, 0.02, 0.1, 0.4])
    pieces = convex_pieces(x, y)
    f = lambda v: max(a * v + b for a, b in pieces)  # noqa: E731
    assert all(f(xi) == pytest.approx(yi) for xi, yi in zip(x, y))  # convex data: exact at the samples
    assert f(0.2) <= 0.25  # and convex between them
    concave = convex_pieces([0.1, 0.5, 1.0], [1, 5, 7])
    assert len(concave) == 1  # the concave middle point lies above the hull


def _opt(layer, fmt, lo, hi, dist, lat, mem):
    return Option(layer, fmt, fmt, lo, hi, dist, {"hw": lat}, {"hw": mem})


def test_picks_the_only_format_that_fits_the_latency():
    # format "fast": 100 cycles at any density, distortion 0.6 - 0.5 d (lossy even at d = 1); "slow": 1000, lossless
    opts = [_opt(0, "slow", 1, 1, [(0, 0.0)], [(0, 1000)], [(0, 10)]),
            _opt(0, "fast", 0.1, 1, [(-0.5, 0.6)], [(0, 100)], [(0, 10)])]
    a = allocate(opts, 1, Budgets({"hw": 500}, {"hw": 100}))
    assert opts[a.option[0]].format == "fast" and a.density[0] == pytest.approx(1.0)
    a = allocate(opts, 1, Budgets({"hw": 5000}, {"hw": 100}))
    assert opts[a.option[0]].format == "slow" and a.distortion == pytest.approx(0.0)


def test_ties_go_to_the_faster_format():
    """Two formats with the same mask structure (same distortion): the faster one is chosen."""
    opts = [_opt(0, "csr", 0.1, 1, [(-1.0, 1.0)], [(500, 50)], [(3, 0)]),
            _opt(0, "bitmask", 0.1, 1, [(-1.0, 1.0)], [(100, 50)], [(1, 1)])]
    a = allocate(opts, 1, Budgets({"hw": 1e12}, {"hw": 1.5}))
    assert opts[a.option[0]].format == "bitmask"


def test_memory_budget_moves_density_to_the_cheaper_layer():
    # two layers, same bytes per density; layer 1 is 10x more sensitive: prune layer 0 first
    opts = [_opt(0, "s", 0.1, 1, [(-1.0, 1.0)], [(0, 1)], [(100, 0)]),
            _opt(1, "s", 0.1, 1, [(-10.0, 10.0)], [(0, 1)], [(100, 0)])]
    a = allocate(opts, 2, Budgets({"hw": 10}, {"hw": 150}))
    assert a.density[0] == pytest.approx(0.5, abs=1e-6) and a.density[1] == pytest.approx(1.0, abs=1e-6)
    assert a.program == "LP"


def test_infeasible_names_budget_and_smallest_reachable():
    opts = [_opt(0, "s", 0.2, 1, [(-1.0, 1.0)], [(1000, 0)], [(100, 0)])]
    with pytest.raises(Infeasible, match=r"latency budget 100 cycles on hw cannot be met \(smallest reachable: 200 cycles\)") as e:
        allocate(opts, 1, Budgets({"hw": 100}, {"hw": 1000}))
    assert e.value.reach["hw"]["memory"] == pytest.approx(20)


def test_thousand_layers_with_format_choice_solves():
    """Large models take the relaxation + repair route; the result still meets the budgets and mixes formats."""
    rng = np.random.default_rng(0)
    dens = np.array([1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.22, 0.15, 0.1, 0.06, 0.03])
    opts = []
    for l in range(1000):
        s = rng.uniform(0.5, 2)
        err = np.exp(-6 * dens) * rng.uniform(0.5, 1.5)
        pieces = convex_pieces(dens, err - err.min())
        opts.append(_opt(l, "bitmask", 0.03, 1, pieces, [(800 * s, 300 * s)], [(900 * s, 120 * s)]))
        opts.append(_opt(l, "dense", 1, 1, [(0, 0)], [(0, 1000 * s)], [(0, 1000 * s)]))
        opts.append(_opt(l, "csr", 0.03, 1, pieces, [(2500 * s, 100 * s)], [(3000 * s, 8 * s)]))
    a = allocate(opts, 1000, Budgets({"hw": 6e5}, {"hw": 6e5}))
    assert a.program == "LP relaxation + repair"
    assert a.latency_cycles["hw"] <= 6e5 * (1 + 1e-6) and a.memory_bytes["hw"] <= 6e5 * (1 + 1e-6)
    assert len({opts[i].format for i in a.option}) >= 2
