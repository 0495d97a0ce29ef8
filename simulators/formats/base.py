"""The compressed-format interface: encode a 2-D weight array into the exact bytes a device stores.

An :class:`Encoded` layout is a list of sections (row pointers, indices, values, ...), each padded to the spec's
alignment and laid out back to back.  Each section also records, per matrix row, where that row's data starts, so
the simulator can cut the stream into tiles of whole rows and know the bytes, stored entries and MACs of each tile.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .packing import ValueType, check_weights, value_type


def align_up(nbytes: int, alignment: int) -> int:
    """``nbytes`` rounded up to a multiple of ``alignment`` bytes."""
    return -(-int(nbytes) // alignment) * alignment


@dataclass(frozen=True)
class Section:
    """One contiguous array of a layout: ``data`` (unpadded bytes) and ``row_offsets`` (rows + 1 byte offsets)."""

    name: str
    data: np.ndarray
    row_offsets: np.ndarray


@dataclass(frozen=True)
class Encoded:
    """An encoded weight matrix.

    ``buffer`` is the exact byte image (sections aligned and concatenated); ``row_entries`` counts the values each
    row stores (nonzeros plus any padding zeros the format needs), ``row_nnz`` the true nonzeros.
    """

    format_name: str
    params: dict
    shape: tuple[int, int]
    dtype: str
    alignment: int
    sections: tuple[Section, ...]
    row_entries: np.ndarray
    row_nnz: np.ndarray
    buffer: np.ndarray = field(repr=False)

    @property
    def nbytes(self) -> int:
        return int(self.buffer.size)

    def section_starts(self) -> dict[str, int]:
        """Byte offset of each section inside ``buffer``."""
        starts, pos = {}, 0
        for s in self.sections:
            starts[s.name] = pos
            pos += align_up(s.data.size, self.alignment)
        return starts

    def section(self, name: str) -> np.ndarray:
        for s in self.sections:
            if s.name == name:
                return s.data
        raise KeyError(name)


def row_offsets_from_counts(per_row_units: np.ndarray, bits_per_unit: int) -> np.ndarray:
    """Byte offsets (rows + 1) of rows whose data are consecutive ``bits_per_unit`` fields (floor to byte)."""
    cum = np.concatenate([[0], np.cumsum(per_row_units, dtype=np.int64)])
    return (cum * bits_per_unit) // 8


class Format(ABC):
    """A zero-weight compression format.  Subclasses set ``name`` and ``defaults`` (format parameters)."""

    name: ClassVar[str]
    defaults: ClassVar[dict] = {}
    description: ClassVar[str] = ""

    def __init__(self, **params):
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(
                f"format {self.name!r} has no parameter(s) {sorted(unknown)}; known: {sorted(self.defaults) or 'none'}"
            )
        self.params = {**self.defaults, **params}
        self.validate_params()

    def validate_params(self) -> None:
        """Raise ``ValueError`` on bad parameters."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    # --- encoding -------------------------------------------------------------------------------------------
    def encode(self, w: np.ndarray, dtype: str = "int8", alignment: int = 1) -> Encoded:
        """Encode weights ``w`` (rows x cols) stored as ``dtype``; sections padded to ``alignment`` bytes."""
        if alignment < 1:
            raise ValueError(f"alignment must be >= 1 byte, got {alignment}")
        vt = value_type(dtype)
        w = check_weights(w, vt)
        sections, row_entries = self._encode(w, vt)
        buffer = np.zeros(sum(align_up(s.data.size, alignment) for s in sections), dtype=np.uint8)
        pos = 0
        for s in sections:
            buffer[pos : pos + s.data.size] = s.data
            pos += align_up(s.data.size, alignment)
        return Encoded(
            self.name, dict(self.params), tuple(w.shape), dtype, alignment, tuple(sections),
            np.asarray(row_entries, np.int64), np.count_nonzero(w, axis=1).astype(np.int64), buffer,
        )

    def decode(self, enc: Encoded) -> np.ndarray:
        """Rebuild the dense weight array from ``enc.buffer`` alone (plus shape, dtype and parameters)."""
        if enc.format_name != self.name:
            raise ValueError(f"layout is {enc.format_name!r}, not {self.name!r}")
        vt = value_type(enc.dtype)
        views, pos = [], 0
        for size in self.section_sizes(enc):
            views.append(enc.buffer[pos : pos + size])
            pos += align_up(size, enc.alignment)
        return self._decode(views, enc.shape, vt)

    def section_sizes(self, enc: Encoded) -> list[int]:
        return [s.data.size for s in enc.sections]

    @abstractmethod
    def _encode(self, w: np.ndarray, vt: ValueType) -> tuple[list[Section], np.ndarray]:
        """Return the sections and the stored entries per row."""

    @abstractmethod
    def _decode(self, sections: list[np.ndarray], shape: tuple[int, int], vt: ValueType) -> np.ndarray:
        """Dense array from the section bytes."""

    # --- sizes ----------------------------------------------------------------------------------------------
    @abstractmethod
    def section_bytes(self, rows: int, cols: int, counts: dict, bits: int) -> list[float]:
        """Unpadded bytes of each section in closed form, given the mask counts of :meth:`mask_counts`."""

    def mask_counts(self, mask: np.ndarray) -> dict:
        """The counts of a boolean mask that the size formula needs (default: nonzeros)."""
        return {"nnz": int(np.count_nonzero(mask))}

    def expected_counts(self, rows: int, cols: int, density: float) -> dict:
        """Expected :meth:`mask_counts` for a random (or format-structured) mask at ``density``."""
        return {"nnz": density * rows * cols}

    def size_bytes(self, rows: int, cols: int, counts: dict, dtype: str, alignment: int = 1) -> int:
        """Exact layout size in bytes (sections aligned) from mask counts."""
        bits = value_type(dtype).bits
        return sum(align_up(int(np.ceil(b)), alignment) for b in self.section_bytes(rows, cols, counts, bits))

    def expected_bytes(self, rows: int, cols: int, density: float, dtype: str, alignment: int = 1) -> float:
        """Expected layout size (bytes) at ``density``; sections padded on average by half an alignment."""
        bits = value_type(dtype).bits
        secs = self.section_bytes(rows, cols, self.expected_counts(rows, cols, density), bits)
        return float(sum(b + (alignment - 1) / 2 for b in secs))

    def expected_entries(self, rows: int, cols: int, density: float) -> float:
        """Expected values the decoder emits (nonzeros plus format padding)."""
        return self.expected_counts(rows, cols, density)["nnz"]

    # --- structure ------------------------------------------------------------------------------------------
    def densities(self) -> np.ndarray | None:
        """Densities this format can represent, or None when any density is possible."""
        return None

    def supports(self, mask: np.ndarray) -> bool:
        """Whether a boolean mask can be encoded by this format."""
        return True


REGISTRY: dict[str, type[Format]] = {}


def register(cls: type[Format]) -> type[Format]:
    REGISTRY[cls.name] = cls
    return cls


def get_format(name: str, **params) -> Format:
    """The format called ``name`` with ``params``; clear error for unknown names."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown compression format {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    return cls(**params)
