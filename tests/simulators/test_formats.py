"""Encode/decode round trips and exact byte counts for every format, dtype and alignment."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.formats import REGISTRY, get_format
from simulators.formats.packing import pack_uint, unpack_uint, value_type
from simulators.workload import random_weights

DTYPES = ["int4", "int8", "int16", "fp16", "fp32"]
FORMAT_PARAMS = [
    ("dense", {}), ("bitmask", {}), ("csr", {"index_bits": 16, "pointer_bits": 32}), ("csr", {"index_bits": 8, "pointer_bits": 16}),
    ("rle", {"index_bits": 4}), ("rle", {"index_bits": 2}), ("rle", {"index_bits": 3}),
    ("bsr", {"block_rows": 4, "block_cols": 4}), ("bsr", {"block_rows": 1, "block_cols": 16}), ("bsr", {"block_rows": 3, "block_cols": 5}),
    ("nm", {"n": 2, "m": 4}), ("nm", {"n": 1, "m": 4}), ("nm", {"n": 2, "m": 8}), ("nm", {"n": 3, "m": 5}),
]


def _mask(kind, rows, cols, density, rng):
    if kind == "random":
        return rng.random((rows, cols)) < density
    if kind == "zero":
        return np.zeros((rows, cols), bool)
    if kind == "full":
        return np.ones((rows, cols), bool)
    if kind == "one_row":
        m = np.zeros((rows, cols), bool)
        m[rng.integers(rows)] = True
        return m
    # long zero runs: a single nonzero at the very end
    m = np.zeros((rows, cols), bool)
    m[-1, -1] = True
    return m


def _structured(fmt, mask):
    if fmt.name == "nm":  # keep at most n per group of m
        n, m = fmt.params["n"], fmt.params["m"]
        rows, cols = mask.shape
        g = -(-cols // m)
        padded = np.zeros((rows, g * m), bool)
        padded[:, :cols] = mask
        grp = padded.reshape(rows, g, m)
        keep = np.cumsum(grp, axis=2) <= n
        return (grp & keep).reshape(rows, g * m)[:, :cols]
    return mask


@given(
    fmt_i=st.integers(0, len(FORMAT_PARAMS) - 1), dtype=st.sampled_from(DTYPES),
    rows=st.integers(1, 40), cols=st.integers(1, 70), density=st.floats(0, 1),
    kind=st.sampled_from(["random", "zero", "full", "one_row", "long_run"]),
    alignment=st.sampled_from([1, 2, 4, 16, 64]), seed=st.integers(0, 2**31),
)
def test_round_trip_and_exact_size(fmt_i, dtype, rows, cols, density, kind, alignment, seed):
    name, params = FORMAT_PARAMS[fmt_i]
    fmt = get_format(name, **params)
    rng = np.random.default_rng(seed)
    w = random_weights(rows, cols, 1.0, get_format("dense"), dtype, rng)
    mask = _structured(fmt, _mask(kind, rows, cols, density, rng))
    w = np.where(mask, w, 0).astype(w.dtype)
    enc = fmt.encode(w, dtype, alignment)
    assert np.array_equal(fmt.decode(enc), w)
    assert enc.nbytes == fmt.size_bytes(rows, cols, fmt.mask_counts(mask), dtype, alignment)
    assert enc.nbytes % alignment == 0
    for s in enc.sections:  # per-row offsets are monotone and inside the section
        assert np.all(np.diff(s.row_offsets) >= 0) and s.row_offsets[-1] <= s.data.size


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 8, 12, 16, 32])
def test_pack_uint_round_trip(bits):
    v = np.random.default_rng(bits).integers(0, 2**bits, 1001)
    buf = pack_uint(v, bits)
    assert buf.size == (1001 * bits + 7) // 8
    assert np.array_equal(unpack_uint(buf, bits, 1001), v)


def test_known_layouts_byte_for_byte():
    w = np.array([[0, 5, 0, -3], [0, 0, 0, 0], [7, 0, 0, 0]], np.int8)
    assert get_format("dense").encode(w, "int4").buffer.tolist() == [0x50, 0xD0, 0, 0, 0x07, 0]
    bm = get_format("bitmask").encode(w, "int8")
    assert bm.buffer.tolist() == [0b1010, 0b0001, 5, 0xFD, 7]  # mask bits LSB first, then values
    csr = get_format("csr", index_bits=8, pointer_bits=8).encode(w, "int8")
    assert csr.buffer.tolist() == [0, 2, 2, 3, 1, 3, 0, 5, 0xFD, 7]
    rle = get_format("rle", index_bits=2).encode(w, "int8")  # runs of >3 zeros need padding entries
    # entries: (1,5) (1,-3) (3,0) (0,7): gap 4 zeros before 7 -> one padding entry covering 4 positions
    assert rle.buffer.tolist()[:4] == [4, 0, 0, 0]
    assert rle.section("gaps").tolist() == [0b00110101]
    nm = get_format("nm").encode(np.array([[0, 5, 0, -3]], np.int8), "int8")
    assert nm.section("indices").tolist() == [0b1101] and nm.section("values").tolist() == [5, 0xFD]


def test_bad_inputs_are_clear():
    with pytest.raises(ValueError, match="not 2:4 sparse"):
        get_format("nm").encode(np.ones((2, 4)), "int8")
    with pytest.raises(ValueError, match="NaN"):
        get_format("csr").encode(np.array([[np.nan, 1.0]]), "fp32")
    with pytest.raises(ValueError, match="integers in"):
        get_format("dense").encode(np.array([[200]]), "int8")
    with pytest.raises(ValueError, match="cannot address"):
        get_format("csr", index_bits=4).encode(np.ones((1, 17)), "int8")
    with pytest.raises(ValueError, match="unknown compression format"):
        get_format("zip")
    with pytest.raises(ValueError, match="no parameter"):
        get_format("csr", block=3)


def test_every_registered_format_is_covered():
    assert {n for n, _ in FORMAT_PARAMS} == set(REGISTRY)
    assert value_type("int4").bits == 4
