"""Reads .pth files the library wrote, as a PyTorch user would: torch.load(path, weights_only=True), then
load_state_dict(strict=True) into the zoo model of the same name (buffers included).

Arguments: FOLDER NAME... ; for each NAME the file FOLDER/NAME.pth. Writes, per NAME:
  NAME.result        repr of load_state_dict's result (`<All keys matched successfully>`)
  NAME.types         json: [key, type name, dtype, shape] of every value torch.load returned, in the file's order
  NAME.state.<key>   every tensor's values as torch read them
  NAME.input, NAME.output   a seeded batch and the loaded model's eval-mode output on it
"""
import os

import torch

import oracle
import zoo

folder, names = oracle.ARGS[0], oracle.ARGS[1:]
for name in names:
    state_dict = torch.load(os.path.join(folder, f"{name}.pth"), weights_only=True)
    model = zoo.ZOO[name][0]()
    oracle.text(f"{name}.result", repr(model.load_state_dict(state_dict, strict=True)))
    oracle.json_text(f"{name}.types", [
        [k, type(v).__name__, str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in state_dict.items()])
    for key, value in state_dict.items():
        oracle.array(f"{name}.state.{key}", value)
    model.eval()
    x = zoo.ZOO[name][1](torch.Generator().manual_seed(13), 6)
    oracle.array(f"{name}.input", x)
    with torch.no_grad():
        oracle.array(f"{name}.output", model(x))
oracle.done()
