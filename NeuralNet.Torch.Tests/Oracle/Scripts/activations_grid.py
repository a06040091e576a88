"""The document's activations on a grid that includes +/-0, NaN, +/-inf, +/-88 and subnormals, in float32 and
float64: torch's sigmoid, tanh, relu, softmax, and the binary step (f(0) = 1; NaN stays NaN, as the library
documents: torch.heaviside(x, 1) itself gives 0 for NaN)."""
import torch

import oracle

for dtype in (torch.float32, torch.float64):
    name = str(dtype)[6:]
    finfo = torch.finfo(dtype)
    special = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 88.0, -88.0, 88.72, -88.72, 89.0, -89.0,
               103.9, -103.9, 709.7, -709.7, 1e-4, -1e-4, 17.0, -17.0, 9.0, -9.0, 20.0, -20.0, 1e4, -1e4,
               finfo.tiny, -finfo.tiny, finfo.tiny / 4, -finfo.tiny / 4, finfo.max, -finfo.max, finfo.eps, -finfo.eps]
    subnormal_min = 1.401298464324817e-45 if dtype == torch.float32 else 4.9406564584124654e-324
    special += [subnormal_min, -subnormal_min]
    x = torch.cat([torch.tensor(special, dtype=dtype), torch.linspace(-100, 100, 4001, dtype=dtype),
                   torch.linspace(-1, 1, 2001, dtype=dtype)])
    oracle.array(f"x.{name}", x)
    oracle.array(f"sigmoid.{name}", torch.sigmoid(x))
    oracle.array(f"tanh.{name}", torch.tanh(x))
    oracle.array(f"relu.{name}", torch.relu(x))
    oracle.array(f"binary_step.{name}", torch.where(x.isnan(), x, torch.heaviside(x, torch.tensor(1.0, dtype=dtype))))
    # Softmax over rows of 5: random logits of several magnitudes, then rows with NaN, +/-inf, huge and tied values.
    g = torch.Generator().manual_seed(3)
    rows = torch.cat([torch.randn(200, 5, generator=g, dtype=dtype) * s for s in (0.01, 1, 30, 1000)])
    nan, inf = float("nan"), float("inf")
    rows = torch.cat([rows, torch.tensor([
        [0, 0, 0, 0, 0], [nan, 1, 2, 3, 4], [inf, 1, 2, 3, 4], [-inf, 1, 2, 3, 4], [-inf] * 5, [inf, inf, 0, 0, 0],
        [88, -88, 0, 89, -89], [1e30, 1e30, 0, 0, 0], [-0.0, 0.0, -0.0, 0.0, 1e-40], [finfo.max, finfo.max, 0, 0, 0],
    ], dtype=dtype)])
    oracle.array(f"softmax_in.{name}", rows)
    oracle.array(f"softmax.{name}", torch.softmax(rows, 1))

oracle.done()
