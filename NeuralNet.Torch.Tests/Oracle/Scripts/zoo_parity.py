"""For every zoo model: its state_dict saved by torch.save (default zip format), the keys/dtypes/shapes of
model.state_dict() in order, a batch of input and torch's eval-mode output on it."""
import torch

import oracle
import zoo

for name in zoo.ZOO:
    model = zoo.build(name, seed=7)
    torch.save(model.state_dict(), oracle.path(f"{name}.pth"))
    oracle.json_text(f"{name}.keys", [
        {"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
        for k, v in model.state_dict().items()])
    x = zoo.ZOO[name][1](torch.Generator().manual_seed(11), 5)
    oracle.array(f"{name}.input", x)
    with torch.no_grad():
        oracle.array(f"{name}.output", model(x))
    oracle.text(f"{name}.repr", repr(model))

oracle.done()
