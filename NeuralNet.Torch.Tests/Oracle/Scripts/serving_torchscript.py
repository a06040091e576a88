"""Zoo models as PyTorch users ship them to a service: torch.jit.script or torch.jit.trace, saved with torch.jit.save;
the state_dict of the same weights (for a C# class loaded by a model factory); a batch of input; and torch's answer:
nn.Softmax(dim=1)(model(x)) and its argmax(1), in eval mode under no_grad."""
import torch

import oracle
import zoo

# name -> how it is made into TorchScript. ResidualNet (x + f(x)) cannot be exported to ONNX from C#: served as
# TorchScript it needs no C# class at all.
SCRIPTED = {"lenet": "script", "batchnorm_cnn": "trace", "residual": "trace", "text": "script", "bigru": "trace"}

for name, how in SCRIPTED.items():
    model = zoo.build(name, seed=31)
    x = zoo.ZOO[name][1](torch.Generator().manual_seed(32), 7)
    torch.save(model.state_dict(), oracle.path(f"{name}.pth"))
    scripted = torch.jit.script(model) if how == "script" else torch.jit.trace(model, x[:2])
    scripted.save(oracle.path(f"{name}.{how}.pt"))
    oracle.array(f"{name}.input", x)
    with torch.no_grad():
        probabilities = torch.softmax(model(x), 1)
    oracle.array(f"{name}.probabilities", probabilities)
    oracle.array(f"{name}.classes", probabilities.argmax(1))

oracle.done()
