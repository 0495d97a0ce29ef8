"""Hardware specs, compressed formats and cost simulators (no torch, no planner)."""
