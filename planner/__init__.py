"""Hardware-aware sparsity planner."""
