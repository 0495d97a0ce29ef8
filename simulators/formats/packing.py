"""Bit-exact packing of unsigned fields and typed weight values into little-endian byte buffers.

Fields of ``bits`` width are packed back to back, least significant bit first (element 0 lands in the low bits of
byte 0), which is how 2-bit N:M indices and 4-bit values are stored by the parts modelled here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ValueType:
    """A stored weight type: ``bits`` per value and the numpy dtype that holds it in memory."""

    name: str
    bits: int
    numpy_dtype: np.dtype
    is_float: bool


VALUE_TYPES: dict[str, ValueType] = {
    "int4": ValueType("int4", 4, np.dtype(np.int8), False),
    "int8": ValueType("int8", 8, np.dtype(np.int8), False),
    "int16": ValueType("int16", 16, np.dtype(np.int16), False),
    "fp16": ValueType("fp16", 16, np.dtype(np.float16), True),
    "fp32": ValueType("fp32", 32, np.dtype(np.float32), True),
}


def value_type(name: str) -> ValueType:
    try:
        return VALUE_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown weight dtype {name!r}; use one of {', '.join(VALUE_TYPES)}") from None


def packed_bytes(count: int, bits: int) -> int:
    """Bytes that ``count`` fields of ``bits`` each occupy when packed (ceil to whole bytes)."""
    return (int(count) * int(bits) + 7) // 8


def pack_uint(values: np.ndarray, bits: int) -> np.ndarray:
    """Pack non-negative integers (each < 2**bits) into a uint8 buffer of ``packed_bytes(len, bits)`` bytes."""
    v = np.asarray(values, dtype=np.uint64).ravel()
    if bits <= 0 or bits > 32:
        raise ValueError(f"field width must be 1..32 bits, got {bits}")
    if v.size and int(v.max()) >= (1 << bits):
        raise ValueError(f"value {int(v.max())} does not fit in {bits} bits")
    if bits % 8 == 0:
        return np.ascontiguousarray(v.astype(f"<u{bits // 8}")).view(np.uint8).copy()
    if 8 % bits == 0:
        per = 8 // bits
        padded = np.zeros(-(-v.size // per) * per, dtype=np.uint8)
        padded[: v.size] = v
        shifts = (np.arange(per, dtype=np.uint8) * bits).astype(np.uint8)
        return np.bitwise_or.reduce(padded.reshape(-1, per) << shifts, axis=1).astype(np.uint8)
    # odd widths (3, 5, 12, ...): expand to a bit matrix, chunked to bound memory
    out = []
    chunk = 1 << 20  # multiple of 8 entries keeps chunk boundaries byte-aligned
    for start in range(0, v.size, chunk):
        part = v[start : start + chunk]
        bitmat = ((part[:, None] >> np.arange(bits, dtype=np.uint64)) & 1).astype(np.uint8)
        out.append(np.packbits(bitmat.ravel(), bitorder="little"))
    return np.concatenate(out) if out else np.zeros(0, np.uint8)


def unpack_uint(buf: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Inverse of :func:`pack_uint`: ``count`` fields of ``bits`` each, as int64."""
    buf = np.asarray(buf, dtype=np.uint8)
    need = packed_bytes(count, bits)
    if buf.size < need:
        raise ValueError(f"buffer of {buf.size} bytes too short for {count} x {bits}-bit fields ({need} bytes)")
    buf = buf[:need]
    if bits % 8 == 0:
        return buf.view(f"<u{bits // 8}").astype(np.int64)[:count]
    if 8 % bits == 0:
        per = 8 // bits
        shifts = (np.arange(per, dtype=np.uint8) * bits).astype(np.uint8)
        vals = (buf[:, None] >> shifts) & np.uint8((1 << bits) - 1)
        return vals.ravel()[:count].astype(np.int64)
    bitvec = np.unpackbits(buf, bitorder="little")[: count * bits].reshape(count, bits).astype(np.int64)
    return (bitvec << np.arange(bits, dtype=np.int64)).sum(axis=1)


def pack_values(values: np.ndarray, vtype: ValueType) -> np.ndarray:
    """Typed weight values (1-D) to their stored little-endian bytes (int4: two per byte, low nibble first)."""
    v = np.asarray(values)
    if vtype.is_float:
        return np.ascontiguousarray(v.astype(vtype.numpy_dtype).astype(vtype.numpy_dtype.newbyteorder("<"))).view(
            np.uint8
        ).ravel().copy()
    raw = v.astype(np.int64) & ((1 << vtype.bits) - 1)  # two's complement at the stored width
    return pack_uint(raw, vtype.bits)


def unpack_values(buf: np.ndarray, vtype: ValueType, count: int) -> np.ndarray:
    """Inverse of :func:`pack_values`."""
    if vtype.is_float:
        nbytes = count * vtype.bits // 8
        return np.asarray(buf[:nbytes], dtype=np.uint8).view(vtype.numpy_dtype.newbyteorder("<")).astype(
            vtype.numpy_dtype
        )
    raw = unpack_uint(buf, vtype.bits, count)
    signed = np.where(raw >= (1 << (vtype.bits - 1)), raw - (1 << vtype.bits), raw)
    return signed.astype(vtype.numpy_dtype)


def check_weights(w: np.ndarray, vtype: ValueType) -> np.ndarray:
    """Validate a 2-D weight array for ``vtype``: finite, integral and in range for integer types."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"weights must be a 2-D array, got shape {w.shape}")
    if vtype.is_float:
        if not np.all(np.isfinite(w)):
            raise ValueError("weights contain NaN or infinity")
        return w.astype(vtype.numpy_dtype)
    lo, hi = -(1 << (vtype.bits - 1)), (1 << (vtype.bits - 1)) - 1
    if w.size and (not np.all(np.isfinite(w)) or np.any(w != np.round(w)) or w.min() < lo or w.max() > hi):
        raise ValueError(f"{vtype.name} weights must be integers in [{lo}, {hi}]")
    return w.astype(vtype.numpy_dtype)
