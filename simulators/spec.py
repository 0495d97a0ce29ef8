"""Hardware specs: load a ``hw_specs/*.yaml`` file, validate every field, normalise units.

After loading, a :class:`HardwareSpec` is frozen and holds plain numbers in the units its field names state
(``_bytes``, ``_hz``, ``_cycles``, ``_s``).  Any problem raises :class:`SpecError` naming the file, the key path
and what is expected.  The schema is documented in ``hw_specs/README.md``.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from . import units
from .formats import REGISTRY as FORMAT_REGISTRY
from .formats import VALUE_TYPES, get_format

MAX_SPEC_FILE_BYTES = 256 * 1024
SCHEMA_VERSION = 1


class SpecError(ValueError):
    """A spec file that cannot be used; the message names file, key path and the fix."""


Bytes = Annotated[float, BeforeValidator(units.parse_bytes)]
BytesOrZero = Annotated[float, BeforeValidator(lambda v: units.parse_bytes(v, allow_zero=True))]
Hz = Annotated[float, BeforeValidator(units.parse_hz)]
BytesPerS = Annotated[float, BeforeValidator(units.parse_bytes_per_s)]


def _finite_positive(v: object) -> object:
    if isinstance(v, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(v, (int, float)) and (not math.isfinite(v) or v <= 0 or v > 1e9):
        raise ValueError(f"must be a finite number in (0, 1e9], got {v}")
    return v


PositiveRate = Annotated[float, BeforeValidator(_finite_positive), Field(gt=0)]
Count = Annotated[int, Field(ge=1, le=1 << 20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _cycles(model: dict, key: str, clock_hz: float, default: object = None) -> float:
    value = model.get(key, default)
    if value is None:
        raise ValueError(f"{key}: missing (a time like '18 ns' or a count like '22 cycles')")
    try:
        return units.parse_time_or_cycles(value, clock_hz)
    except ValueError as e:
        raise ValueError(f"{key}: {e}") from None


DRAM_TIMINGS = ("tCL", "tRCD", "tRP", "tRAS", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L", "tFAW", "tRTP", "tREFI", "tRFC")


class DramSpec(_Strict):
    """A DRAM channel: JEDEC-style timings in memory-clock cycles (``*_cycles``), one command per clock."""

    kind: Literal["dram"]
    capacity_bytes: Bytes = Field(alias="capacity")
    clock_hz: Hz = Field(alias="clock")
    data_rate: Literal[1, 2] = 2
    bus_bytes: Count = Field(alias="bus_width_bytes")
    burst_length: Count
    peak_bandwidth_bytes_per_s: BytesPerS | None = Field(default=None, alias="peak_bandwidth")
    ranks: Count = 1
    bank_groups: Count = 1
    banks_per_group: Count
    row_bytes: Bytes = Field(alias="row_size")
    queue_depth: Count = 32
    controller_latency_cycles: float = 0.0
    timings_cycles: dict[str, float]

    @model_validator(mode="before")
    @classmethod
    def _convert_timings(cls, data):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        try:
            clock = units.parse_hz(data["clock"]) if "clock" in data else 1.0
        except ValueError:
            clock = 1.0  # the clock field's own error is reported by field validation
        defaults = {"tCCD_L": data.get("tCCD_S"), "tRRD_L": data.get("tRRD_S"),
                    "tRTP": "4 cycles", "tREFI": "0 cycles", "tRFC": "0 cycles"}
        timings = {}
        for key in DRAM_TIMINGS:
            timings[key] = _cycles({key: data.pop(key, defaults.get(key))}, key, clock)
        data["timings_cycles"] = timings
        if "controller_latency" in data:
            data["controller_latency_cycles"] = _cycles(data, "controller_latency", clock)
            data.pop("controller_latency")
        return data

    @model_validator(mode="after")
    def _check(self):
        if self.peak_bandwidth_bytes_per_s is not None:
            derived = self.derived_peak_bytes_per_s
            if abs(derived - self.peak_bandwidth_bytes_per_s) > 0.02 * derived:
                raise ValueError(
                    f"peak_bandwidth {self.peak_bandwidth_bytes_per_s / 1e9:.3f} GB/s disagrees with "
                    f"clock x data_rate x bus_width_bytes = {derived / 1e9:.3f} GB/s; fix one of them"
                )
        if self.row_bytes < self.burst_bytes:
            raise ValueError(f"row_size ({self.row_bytes:g} B) is smaller than one burst ({self.burst_bytes} B)")
        return self

    @property
    def burst_bytes(self) -> int:
        return int(self.bus_bytes * self.burst_length)

    @property
    def derived_peak_bytes_per_s(self) -> float:
        return self.clock_hz * self.data_rate * self.bus_bytes


class FlashSpec(_Strict):
    """NOR / QSPI flash read path: a non-sequential access pays ``access_latency``; with ``prefetch`` a sequential
    line's latency hides behind the previous line's transfer."""

    kind: Literal["flash"]
    capacity_bytes: Bytes = Field(alias="capacity")
    clock_hz: Hz = Field(alias="clock")
    bytes_per_cycle: PositiveRate
    line_bytes: Count = Field(alias="line_size_bytes")
    access_latency_cycles: float
    prefetch: bool = True

    @model_validator(mode="before")
    @classmethod
    def _convert(cls, data):
        if isinstance(data, dict) and "access_latency" in data:
            data = dict(data)
            clock = units.parse_hz(data["clock"]) if "clock" in data else 1.0
            data["access_latency_cycles"] = _cycles(data, "access_latency", clock)
            data.pop("access_latency")
        return data

    @property
    def burst_bytes(self) -> int:
        return int(self.line_bytes)


class SramSpec(_Strict):
    """On-chip SRAM / TCM: fixed latency, ``bus_width_bytes`` per clock, no rows or banks."""

    kind: Literal["sram"]
    capacity_bytes: Bytes = Field(alias="capacity")
    clock_hz: Hz = Field(alias="clock")
    bus_bytes: Count = Field(alias="bus_width_bytes")
    latency_cycles: Annotated[float, Field(ge=0, le=1e6)] = Field(alias="latency_cycles")

    @property
    def burst_bytes(self) -> int:
        return int(self.bus_bytes)


MemorySpec = Annotated[Union[DramSpec, FlashSpec, SramSpec], Field(discriminator="kind")]


class ComputeSpec(_Strict):
    """The MAC array: ``macs_per_cycle`` per weight dtype; whether zero weights are skipped; the device's fixed cost
    per layer call (``layer_overhead_cycles``); and ``host_issue_cycles``, the time a host processor needs to issue
    one layer call (a CPU launching GPU kernels).  Issue is asynchronous: back-to-back calls overlap the host's issue
    of one with the device's work on another, so a layer costs at least its issue time (host-bound when its device
    work is shorter)."""

    macs_per_cycle: dict[str, PositiveRate]
    skips_zero_weights: bool = False
    layer_overhead_cycles: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    host_issue_cycles: Annotated[float, Field(ge=0, le=1e10)] = 0.0

    @model_validator(mode="after")
    def _dtypes(self):
        unknown = set(self.macs_per_cycle) - set(VALUE_TYPES)
        if unknown:
            raise ValueError(f"unknown dtype(s) {sorted(unknown)} in macs_per_cycle; use {', '.join(VALUE_TYPES)}")
        return self


class WeightsSpec(_Strict):
    """Where weights live and how they are read: ``memory`` names a level; ``staging`` into an SRAM level by DMA in
    double-buffered tiles of ``tile_bytes``, or ``direct`` reads by the core."""

    memory: str
    dtype: str = "int8"
    staging: Literal["dma", "direct"] = "dma"
    tile_bytes: Bytes = Field(default=8192.0, alias="tile")
    alignment_bytes: Count = Field(default=16, alias="alignment_bytes")
    batch: Count = 1

    @model_validator(mode="after")
    def _dtype(self):
        if self.dtype not in VALUE_TYPES:
            raise ValueError(f"dtype {self.dtype!r} unknown; use one of {', '.join(VALUE_TYPES)}")
        return self


class FormatCostSpec(_Strict):
    """A format the hardware decodes: decoder rates (stored bytes, entries or matrix rows per core cycle; omitted =
    unlimited), per-layer set-up cycles on the device (``setup_cycles``, serial with the layer's work) and on the
    host (``host_setup_cycles``, added to the host's issue time of a layer in this format), and the format's own
    parameters (index widths, block shape, N and M)."""

    decode_bytes_per_cycle: PositiveRate | None = None
    decode_entries_per_cycle: PositiveRate | None = None
    decode_rows_per_cycle: PositiveRate | None = None
    batched_decode_entries_per_cycle: PositiveRate | None = None
    batch_tile: Count = 1
    setup_cycles: Annotated[float, Field(ge=0, le=1e10)] = 0.0
    host_setup_cycles: Annotated[float, Field(ge=0, le=1e10)] = 0.0
    params: dict[str, int] = Field(default_factory=dict)


class BudgetsSpec(_Strict):
    """Default budgets: latency per inference step and weight memory."""

    latency_s: Annotated[float, BeforeValidator(lambda v: units.parse_seconds(v, allow_zero=False))] = Field(alias="latency")
    weight_memory_bytes: Bytes = Field(alias="weight_memory")


class HardwareSpec(_Strict):
    """A whole target: core clock, memories, compute, weights placement, formats, budgets."""

    schema_version: Literal[1]
    name: str
    description: str = ""
    clock_hz: Hz = Field(alias="clock")
    memories: dict[str, MemorySpec]
    compute: ComputeSpec
    weights: WeightsSpec
    formats: dict[str, FormatCostSpec]
    budgets: BudgetsSpec
    source_hash: str = ""

    @model_validator(mode="after")
    def _cross_checks(self):
        if self.weights.memory not in self.memories:
            raise ValueError(f"weights.memory names {self.weights.memory!r}, not one of memories: {sorted(self.memories)}")
        if self.weights.staging == "dma" and not any(m.kind == "sram" for m in self.memories.values()):
            raise ValueError("weights.staging is 'dma' but no memory of kind 'sram' is declared to stage into")
        if self.weights.dtype not in self.compute.macs_per_cycle:
            raise ValueError(f"compute.macs_per_cycle has no entry for the weights dtype {self.weights.dtype!r}")
        if "dense" not in self.formats:
            raise ValueError("formats must include 'dense' (the uncompressed baseline)")
        for fname, fcost in self.formats.items():
            if fname not in FORMAT_REGISTRY:
                raise ValueError(f"formats.{fname}: unknown format; known: {', '.join(sorted(FORMAT_REGISTRY))}")
            try:
                get_format(fname, **fcost.params)
            except ValueError as e:
                raise ValueError(f"formats.{fname}.params: {e}") from None
        return self

    @property
    def weight_memory(self):
        return self.memories[self.weights.memory]

    @property
    def staging_memory(self):
        """The SRAM level tiles are staged into (None for direct reads)."""
        if self.weights.staging != "dma":
            return None
        return next(m for m in self.memories.values() if m.kind == "sram")

    def host_cycles(self, format_name: str) -> float:
        """Host time to issue one layer call in ``format_name`` (core cycles); 0 where no host issues calls."""
        return self.compute.host_issue_cycles + self.formats[format_name].host_setup_cycles

    def without_host(self) -> "HardwareSpec":
        """This spec with no host issue costs: the device's own time for every layer."""
        formats = {k: v.model_copy(update={"host_setup_cycles": 0.0}) for k, v in self.formats.items()}
        return self.model_copy(update={"compute": self.compute.model_copy(update={"host_issue_cycles": 0.0}),
                                       "formats": formats})

    def format(self, name: str):
        """The :class:`~simulators.formats.Format` object for ``name`` with this spec's parameters."""
        if name not in self.formats:
            raise ValueError(f"spec {self.name!r} does not support format {name!r}; it supports {', '.join(self.formats)}")
        return get_format(name, **self.formats[name].params)


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses anchors/aliases: specs never need them and they enable 'YAML bombs'."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed in hardware specs", event.start_mark
            )
        return super().compose_node(parent, index)


def _loc(loc: tuple) -> str:
    """Dotted key path; pydantic inserts the union tag after ``memories.<name>``, which the user never wrote."""
    parts = [str(p) for p in loc]
    if len(parts) >= 3 and parts[0] == "memories" and parts[2] in ("dram", "flash", "sram"):
        del parts[2]
    return ".".join(parts) or "(top level)"


def parse_spec(data: object, source: str = "<spec>") -> HardwareSpec:
    """Validate an already-parsed mapping; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a mapping of spec fields at the top level, got {type(data).__name__}")
    try:
        return HardwareSpec.model_validate(data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (typo?); remove it or check hw_specs/README.md for the field names"
            elif err["type"] == "missing":
                msg = "missing required field"
            lines.append(f"  {_loc(err['loc'])}: {msg}")
        raise SpecError(f"{source}: invalid hardware spec\n" + "\n".join(lines)) from None


def read_spec_data(path: str | Path) -> tuple[bytes, object]:
    """The raw bytes and parsed YAML of a spec file, with the file-level checks (size, UTF-8, no aliases); every
    failure is a :class:`SpecError` naming the file.  The data is not validated as a spec yet."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SpecError(f"{path}: cannot read hardware spec ({e.strerror or e})") from None
    if len(raw) > MAX_SPEC_FILE_BYTES:
        raise SpecError(f"{path}: file is {len(raw)} bytes; a hardware spec must be under {MAX_SPEC_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start}); save the spec as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (safe loader subclass)
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML: {e}") from None
    except RecursionError:
        raise SpecError(f"{path}: YAML nested too deeply") from None
    return raw, data


def load_spec(path: str | Path) -> HardwareSpec:
    """Read, parse and validate a spec file; every failure is a :class:`SpecError` naming the file."""
    raw, data = read_spec_data(path)
    spec = parse_spec(data, str(path))
    return spec.model_copy(update={"source_hash": hashlib.sha256(raw).hexdigest()[:16]})


def set_fields(data: dict, values, source: str, create: bool = False) -> dict:
    """A deep copy of spec data with ``(dotted key, value)`` pairs set (``memories.dram.bus_width_bytes``).  The
    path must exist; with ``create`` only its last key may be new (validation then rejects a key the schema lacks)."""
    data = yaml.safe_load(yaml.safe_dump(data))  # deep copy
    for key, value in values:
        node, parts = data, key.split(".")
        for p in parts[:-1]:
            if not isinstance(node, dict) or p not in node:
                raise ValueError(f"{key}: {source} has no key {p!r} on that path")
            node = node[p]
        if not isinstance(node, dict) or (parts[-1] not in node and not create):
            raise ValueError(f"{key}: {source} has no key {parts[-1]!r} (only existing fields can be set)")
        node[parts[-1]] = value
    return data
