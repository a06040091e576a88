"""Loads a .pth the .NET side wrote into examples/09-YourOwnModel's model.py (ARGS[0] model.py, ARGS[1] the .pth) as
its README says PyTorch users do: torch.load(weights_only=True) + a strict load_state_dict. Writes the load's result
and every tensor of the loaded model's state_dict."""
import importlib.util

import torch

import oracle

spec = importlib.util.spec_from_file_location("model", oracle.ARGS[0])
model_py = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model_py)

model = model_py.FashionCnn()
oracle.text("load", str(model.load_state_dict(torch.load(oracle.ARGS[1], weights_only=True), strict=True)))
for name, tensor in model.state_dict().items():
    oracle.array(f"state.{name}", tensor)
oracle.done()
