"""repr(t) for a generated corpus of tensors: every dtype the library prints (float32/64/16, bfloat16, int8/16/32/64,
uint8, bool), 0-d to 4-d, empty, summarised (more than 1000 elements, along one axis and along several), rows that
wrap at 80 columns, tiny/huge/mixed magnitudes, integers stored as floats, -0.0, NaN, +/-inf, values on both sides of
every rounding boundary of 4 decimals and of the scientific-notation switches, requires_grad=True leaves and slices
(plain and of such leaves) and transposes. ARGS[0] is the seed; the same seed gives the same corpus.

Per case c<i>: the array c<i>.base (what the C# side builds the tensor from) and, in cases.json, its repr and how the
printed tensor is made from the base: "plain", "leaf" (requires_grad=True), "slice" [dim, start, stop, step]
(optionally of a requires_grad leaf) or "transpose"."""
import math
import random

import torch

import oracle

SEED = int(oracle.ARGS[0]) if oracle.ARGS else 1234
rng = random.Random(SEED)
gen = torch.Generator().manual_seed(SEED)

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
INTS = [torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8]

# Values on both sides of the boundaries the formatter decides on: 4-decimal rounding ties, 1e-4 (fixed/sci for
# non-integers), max/min ratio 1000, 1e8 (integer and fixed modes), the widths of integers, and the specials.
BOUNDARIES = [
    0.00005, 0.000049999, 0.000050001, 0.00015, 0.00025, 0.99995, 0.999949, 1.00005, 9.99995, 99.99995, 999.99995,
    0.0001, 0.0000999, 0.000100001, 1e-4, 1.0005e-4, 9.9995e-5, 1e8, 99999999.0, 100000001.0, 1.00004e8, 123456.78905,
    0.12345, 0.12355, 2.5, -2.5, 0.5, 1.5, 1000.0, 1000.5, 999.5, 0.001, 1.0, -1.0, 1e-5, 5e-5, 4.99995e-5,
]
SPECIALS = [0.0, -0.0, float("nan"), float("inf"), float("-inf")]


def shapes(kind):
    if kind == "scalar":
        return []
    if kind == "empty":
        return rng.choice([[0], [0, 3], [2, 0], [2, 0, 4], [0, 0, 1, 2]])
    if kind == "wrap":
        return rng.choice([[rng.randint(9, 40)], [2, rng.randint(9, 30)], [2, 2, rng.randint(10, 25)]])
    if kind == "summary_one":
        return rng.choice([[rng.randint(1001, 3000)], [3, rng.randint(400, 700)], [rng.randint(400, 700), 2], [2, 3, 200]])
    if kind == "summary_all":
        return rng.choice([[rng.randint(33, 60), rng.randint(33, 60)], [7, 8, 20], [4, 5, 7, 9], [10, 10, 11]])
    return rng.choice([[rng.randint(1, 6)], [rng.randint(1, 5), rng.randint(1, 5)], [2, 3, 4], [2, 1, 3, 2], [1, 1], [3, 1, 1]])


def float_values(n, style):
    if style == "normal":
        scale = rng.choice([1e-7, 1e-5, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e5, 1e7, 1e9, 1e12])
        return (torch.randn(n, generator=gen, dtype=torch.float64) * scale).tolist()
    if style == "mixed":
        return [rng.choice([1, -1]) * 10 ** rng.uniform(-8, 10) for _ in range(n)]
    if style == "integers":
        top = rng.choice([9, 99, 999, 9999, 10 ** 6, 10 ** 9])
        return [float(rng.randint(-top, top)) for _ in range(n)]
    if style == "boundaries":
        return [rng.choice([1, -1]) * rng.choice(BOUNDARIES) for _ in range(n)]
    if style == "specials":
        return [rng.choice(SPECIALS) if rng.random() < 0.5 else rng.uniform(-3, 3) for _ in range(n)]
    if style == "tiny":
        return [rng.choice([1, -1]) * rng.choice([1e-40, 1e-42, 1e-45, 1e-310, 1e-8, 3e-39]) for _ in range(n)]
    if style == "nonneg":
        return [abs(rng.gauss(0, 1)) for _ in range(n)]
    return [0.0] * n


def make(dtype, shape):
    n = math.prod(shape)
    if dtype.is_floating_point:
        style = rng.choice(["normal", "normal", "mixed", "integers", "boundaries", "boundaries", "specials", "tiny", "nonneg", "zeros"])
        return torch.tensor(float_values(n, style), dtype=torch.float64).to(dtype).reshape(shape)
    if dtype == torch.bool:
        return (torch.rand(shape, generator=gen) < 0.5)
    info = torch.iinfo(dtype)
    pick = rng.choice(["small", "full", "extremes"])
    if pick == "small":
        lo, hi = max(info.min, -20), min(info.max, 20)
        values = [rng.randint(lo, hi) for _ in range(n)]
    elif pick == "full":
        values = [rng.randint(info.min, info.max) for _ in range(n)]
    else:
        values = [rng.choice([info.min, info.max, 0, -1 if info.min < 0 else 1]) for _ in range(n)]
    return torch.tensor(values, dtype=torch.int64).to(dtype).reshape(shape)


cases = []


def add(base, view="plain", spec=None, grad=False):
    i = len(cases)
    t = base
    if grad:
        t = base.clone().requires_grad_(True)
    if view == "slice":
        dim, start, stop, step = spec
        t = t[(slice(None),) * dim + (slice(start, stop, step),)]
    elif view == "transpose":
        t = t.t()
    oracle.array(f"c{i}.base", base)
    cases.append({"name": f"c{i}", "view": view, "slice": spec, "requires_grad": grad, "repr": repr(t)})


KINDS = ["scalar", "empty", "wrap", "summary_one", "summary_all", "small", "small", "small"]
for dtype in FLOATS + INTS + [torch.bool]:
    for _ in range(26):
        add(make(dtype, shapes(rng.choice(KINDS))))
    # Slices and transposes of this dtype.
    for _ in range(4):
        base = make(dtype, [rng.randint(2, 12), rng.randint(2, 40)])
        dim = rng.randint(0, 1)
        size = base.shape[dim]
        start = rng.randint(0, size - 1)
        add(base, "slice", [dim, start, rng.randint(start + 1, size), rng.randint(1, 3)])
    add(make(dtype, [rng.randint(2, 5), rng.randint(2, 9)]), "transpose")

# requires_grad=True leaves and slices of them (grad_fn=<SliceBackward0>), where the suffix wraps and where it fits.
for dtype in (torch.float32, torch.float64):
    for _ in range(12):
        add(make(dtype, shapes(rng.choice(["scalar", "wrap", "small", "summary_one", "summary_all"]))), grad=True)
    for _ in range(8):
        base = make(dtype, [rng.randint(2, 30), rng.randint(2, 40)])
        # A partial slice: torch makes a full-length one an alias (grad_fn=<AliasBackward0>).
        add(base, "slice", [0, 0, rng.randint(1, base.shape[0] - 1), 1], grad=True)

oracle.json_text("cases.json", {"seed": SEED, "cases": cases})
oracle.done()
