"""What an oracle script uses to hand its results to the C# tests (see ../README.md).

A script is run as `python3 <script>.py OUT [ARGS...]`: it writes files into the folder OUT, and `done()` writes
OUT/manifest.json describing them. Names are [A-Za-z0-9_.-]+. Arrays are raw little-endian bytes in C order.
"""
import json
import os
import re
import sys

import torch

OUT = sys.argv[1]
ARGS = sys.argv[2:]

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int8: "int8", torch.int16: "int16", torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8",
    torch.bool: "bool",
}
_manifest = {"torch": torch.__version__, "texts": [], "arrays": [], "files": []}
_names = set()


def _claim(name):
    if not _NAME.match(name):
        raise ValueError(f"oracle name {name!r} is not [A-Za-z0-9_.-]+")
    if name in _names:
        raise ValueError(f"oracle name {name!r} written twice")
    _names.add(name)
    return os.path.join(OUT, name)


def text(name, value):
    """A text, stored exactly (UTF-8, no newline added)."""
    with open(_claim(name), "w", encoding="utf-8", newline="") as f:
        f.write(value)
    _manifest["texts"].append({"name": name})


def array(name, tensor):
    """A tensor's values: dtype, shape and the raw bytes (bfloat16 and float16 as their 16-bit patterns)."""
    t = torch.as_tensor(tensor).detach().cpu().contiguous()
    if t.dtype not in _DTYPES:
        raise ValueError(f"oracle array {name!r}: dtype {t.dtype} is not supported")
    raw = t.view(torch.int16) if t.dtype == torch.bfloat16 else t
    data = raw.numpy().astype(raw.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
    with open(_claim(name), "wb") as f:
        f.write(data)
    _manifest["arrays"].append({"name": name, "dtype": _DTYPES[t.dtype], "shape": list(t.shape)})


def path(name):
    """A path for a file the script writes itself (a .pth, an .onnx), recorded in the manifest."""
    full = _claim(name)
    _manifest["files"].append({"name": name})
    return full


def json_text(name, value):
    """A JSON document as a text."""
    text(name, json.dumps(value, indent=1))


def done():
    """Writes the manifest; a script that never calls it is reported as broken."""
    for entry in _manifest["files"]:
        if not os.path.isfile(os.path.join(OUT, entry["name"])):
            raise FileNotFoundError(f"oracle file {entry['name']!r} was claimed but not written")
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(_manifest, f)
