"""Parse quantities with explicit units ("64 KiB", "1.6 GHz", "13.75 ns", "25.6 GB/s") into SI base values.

Every parser returns a float in the base unit its name states (bytes, hertz, seconds, bytes per second) and
raises ``ValueError`` with a message that says what was expected.  Bare numbers are refused where a unit is
required, so a spec never silently mixes nanoseconds and cycles.
"""
from __future__ import annotations

import math
import re

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ/]*)\s*$")

SIZE_UNITS = {
    "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
}
FREQUENCY_UNITS = {"Hz": 1, "kHz": 1e3, "KHz": 1e3, "MHz": 1e6, "GHz": 1e9}
TIME_UNITS = {"s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
BANDWIDTH_UNITS = {f"{k}/s": v for k, v in SIZE_UNITS.items()}
CYCLE_UNITS = {"cycle": 1, "cycles": 1}

# Plausibility ceilings: a spec beyond these is a typo (or hostile), not hardware.
MAX_BYTES = 2.0**50  # 1 PiB
MAX_HZ = 1e11  # 100 GHz
MAX_SECONDS = 1e3
MAX_CYCLES = 1e12


def _split(text: object, what: str) -> tuple[float, str]:
    if isinstance(text, bool):
        raise ValueError(f"expected {what}, got a boolean")
    if isinstance(text, (int, float)):
        return float(text), ""
    if not isinstance(text, str):
        raise ValueError(f"expected {what} as a string like {_EXAMPLES[what]!r}, got {type(text).__name__}")
    m = _QUANTITY.match(text)
    if not m:
        raise ValueError(f"cannot read {text!r} as {what}; write it like {_EXAMPLES[what]!r}")
    return float(m.group(1)), m.group(2)


_EXAMPLES = {
    "a size": "64 KiB",
    "a frequency": "600 MHz",
    "a time": "18 ns",
    "a bandwidth": "25.6 GB/s",
    "a time or cycle count": "18 ns or 22 cycles",
}


def _check(value: float, what: str, ceiling: float, allow_zero: bool) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    if value > ceiling:
        raise ValueError(f"{what} of {value:g} is implausibly large (limit {ceiling:g})")
    return value


def _parse(text: object, what: str, units: dict[str, float], ceiling: float, allow_zero: bool) -> float:
    number, unit = _split(text, what)
    if unit == "":
        raise ValueError(f"{what} needs a unit (one of {', '.join(units)}); got {text!r}")
    if unit not in units:
        raise ValueError(f"unknown unit {unit!r} for {what}; use one of {', '.join(units)}")
    return _check(number * units[unit], what, ceiling, allow_zero)


def parse_bytes(text: object, allow_zero: bool = False) -> float:
    """Size in bytes from e.g. ``"64 KiB"``."""
    return _parse(text, "a size", SIZE_UNITS, MAX_BYTES, allow_zero)


def parse_hz(text: object) -> float:
    """Frequency in hertz from e.g. ``"600 MHz"``."""
    return _parse(text, "a frequency", FREQUENCY_UNITS, MAX_HZ, False)


def parse_seconds(text: object, allow_zero: bool = True) -> float:
    """Time in seconds from e.g. ``"18 ns"``."""
    return _parse(text, "a time", TIME_UNITS, MAX_SECONDS, allow_zero)


def parse_bytes_per_s(text: object) -> float:
    """Bandwidth in bytes per second from e.g. ``"25.6 GB/s"``."""
    return _parse(text, "a bandwidth", BANDWIDTH_UNITS, MAX_BYTES * 1e3, False)


def parse_time_or_cycles(text: object, clock_hz: float) -> float:
    """A duration given in seconds-units or in cycles of ``clock_hz``; returns cycles (float, may be fractional)."""
    number, unit = _split(text, "a time or cycle count")
    if unit in CYCLE_UNITS:
        return _check(number, "a cycle count", MAX_CYCLES, True)
    if unit in TIME_UNITS:
        seconds = _check(number * TIME_UNITS[unit], "a time", MAX_SECONDS, True)
        return seconds * clock_hz
    raise ValueError(
        f"{text!r} needs a unit: cycles or one of {', '.join(TIME_UNITS)} (e.g. '18 ns' or '22 cycles')"
    )


def format_bytes(n: float) -> str:
    """Human-readable byte count (binary prefixes)."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"
