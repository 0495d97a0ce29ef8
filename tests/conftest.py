import os
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "hw_specs").glob("*.yaml"))
REFERENCE = ROOT / "tests" / "data" / "reference"  # copies of ../shared/reference (DRAMsim3, H100 figures)

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
