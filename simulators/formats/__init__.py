"""Compressed weight formats, each in its own module, found by name through :func:`get_format`."""
from . import bitmask, bsr, csr, dense, nm, rle  # noqa: F401  (registration)
from .base import REGISTRY, Encoded, Format, align_up, get_format
from .packing import VALUE_TYPES, value_type

__all__ = ["REGISTRY", "Encoded", "Format", "VALUE_TYPES", "align_up", "get_format", "value_type"]
