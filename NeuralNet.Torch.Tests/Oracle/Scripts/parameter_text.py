"""The document's parameter section for every zoo model, printed by torch exactly as the document's script prints it
(print("Model structure: ", model, "\n\n") then, per named_parameters(), print(f"Layer: {name} | Size: {param.size()}
| Values : {param[:2]} \n")), with the weights torch made saved beside it; the document's prediction line
(print(f"Predicted class: {y_pred}")) for a given input; and torch.Size texts of 0-d to 6-d shapes."""
import contextlib
import io

import torch
from torch import nn

import oracle
import zoo

for name in {**zoo.ZOO, **zoo.EXTRA}:
    model = zoo.build(name, seed=21)
    torch.save(model.state_dict(), oracle.path(f"{name}.pth"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print("Model structure: ", model, "\n\n")
        for param_name, param in model.named_parameters():
            print(f"Layer: {param_name} | Size: {param.size()} | Values : {param[:2]} \n")
    oracle.text(f"{name}.parameters", out.getvalue())

# The document's prediction, for both variants, on an input torch made.
generator = torch.Generator().manual_seed(4)
for name in ("documented", "quickstart"):
    model = zoo.build(name, seed=21)
    X = torch.rand(1, 28, 28, generator=generator)
    oracle.array(f"{name}.X", X)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    oracle.text(f"{name}.prediction", f"Predicted class: {y_pred}\n")

shapes = [[], [0], [1], [784], [3, 28], [0, 3], [512, 784], [64, 1, 28, 28], [2, 0, 4, 1], [2, 3, 4, 5, 6],
          [1, 1, 1, 1, 1, 1], [2 ** 40, 7, 3, 1, 0, 9]]
oracle.json_text("sizes", [{"shape": s, "text": str(torch.Size(s))} for s in shapes])

oracle.done()
