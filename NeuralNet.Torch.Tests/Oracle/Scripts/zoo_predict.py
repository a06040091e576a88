"""For every zoo model and extra: torch-made weights, a batch of input, and torch's prediction on it in eval mode under
no_grad: nn.Softmax(dim=1)(model(x)) and its argmax(1)."""
import torch

import oracle
import zoo

for name in {**zoo.ZOO, **zoo.EXTRA}:
    model = zoo.build(name, seed=9)
    torch.save(model.state_dict(), oracle.path(f"{name}.pth"))
    x = (zoo.ZOO.get(name) or zoo.EXTRA[name])[1](torch.Generator().manual_seed(21), 6)
    oracle.array(f"{name}.input", x)
    with torch.no_grad():
        probabilities = torch.softmax(model(x), 1)
    oracle.array(f"{name}.probabilities", probabilities)
    oracle.array(f"{name}.classes", probabilities.argmax(1))

oracle.done()
