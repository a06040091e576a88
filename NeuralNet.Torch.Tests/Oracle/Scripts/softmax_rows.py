"""Rows of logits for several class counts and torch's nn.Softmax(dim=1) of them and its argmax(1), the document's
prediction step: random logits of several magnitudes, then rows with exact ties, NaN, +/-inf, all -inf, and logits
near float32's largest value. float32, as every prediction path computes them."""
import torch

import oracle

nan, inf = float("nan"), float("inf")
big = torch.finfo(torch.float32).max
g = torch.Generator().manual_seed(17)
total = 0
for classes in (1, 2, 3, 10, 37, 100, 1000):
    count = max(400, 12000 // classes)
    rows = torch.cat([torch.randn(count // 4, classes, generator=g) * s for s in (0.01, 1, 30, 1e4)])
    # Ties: a row's maximum copied to other places (torch's argmax takes the first), whole rows equal.
    ties = torch.randn(count // 4, classes, generator=g)
    if classes > 1:
        for i in range(ties.shape[0]):
            m = ties[i].argmax()
            others = torch.randint(0, classes, (1 + i % 3,), generator=g)
            ties[i, others] = ties[i, m].item()
    special = torch.randn(8, classes, generator=g)
    special[0, -1] = nan
    special[1, classes // 2] = inf
    special[2, 0] = -inf
    special[3, :] = -inf
    special[4, :] = 0.0
    special[5, 0] = big
    special[5, -1] = big * (-1 if classes > 1 else 1)
    special[6, :] = big
    special[7, ::2] = 1e30
    rows = torch.cat([rows, ties, special, torch.full((1, classes), -big)])
    oracle.array(f"logits.{classes}", rows)
    probabilities = torch.nn.Softmax(dim=1)(rows)
    oracle.array(f"softmax.{classes}", probabilities)
    oracle.array(f"argmax.{classes}", probabilities.argmax(1))
    total += rows.shape[0]

oracle.json_text("rows", total)
oracle.done()
