"""The harness's own test: `ok` writes one array of every dtype, a text and a file; `fail` raises; `nomanifest`
exits without calling done(); `badsize` writes an array file of the wrong length."""
import os

import torch

import oracle

mode = oracle.ARGS[0]
if mode == "fail":
    raise RuntimeError("deliberate failure for the harness test")
if mode == "nomanifest":
    raise SystemExit(0)

values = torch.tensor([0.0, -1.5, 2.25, float("inf")])
for dtype in [torch.float32, torch.float64, torch.float16, torch.bfloat16]:
    oracle.array(f"values.{str(dtype)[6:]}", values.to(dtype))
for dtype in [torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8]:
    oracle.array(f"ints.{str(dtype)[6:]}", torch.tensor([[0, 1, 2], [3, 4, 127]], dtype=dtype))
oracle.array("flags.bool", torch.tensor([True, False, True]))
oracle.array("scalar", torch.tensor(3.5, dtype=torch.float64))
oracle.array("empty", torch.zeros(0, 3))
oracle.text("greeting", "tensor([1., 2.])\n  second line ")
with open(oracle.path("blob.bin"), "wb") as f:
    f.write(b"\x00\x01\x02")
if mode == "badsize":
    with open(os.path.join(oracle.OUT, "scalar"), "ab") as f:
        f.write(b"\x00")
oracle.done()
