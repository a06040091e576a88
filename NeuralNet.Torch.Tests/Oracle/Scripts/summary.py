"""ModelSummary's numbers for every zoo model, computed by torch forward hooks with the rule ModelSummary documents:
per layer its output shape in one eval-mode pass (the first output of a recurrent layer), its parameter count, and
multiply-accumulates per call: Linear in_features per output element, Bilinear in1 x in2 per output element,
Conv* in_channels / groups x kernel elements per output element, ConvTranspose* out_channels / groups x kernel
elements per INPUT element (each input element is scattered over a kernel-sized window), RNN/LSTM/GRU (and cells) per step
gates x hidden x (layer input + hidden) for every layer and direction with steps = input elements / input_size,
Embedding and the normalisation layers (BatchNorm*, InstanceNorm*, LayerNorm, GroupNorm) 0. A module with parameters of its own and no rule makes the total unknown (null) and is listed."""
import math

import torch
from torch import nn

import oracle
import zoo

GATES = {nn.RNN: 1, nn.GRU: 3, nn.LSTM: 4, nn.RNNCell: 1, nn.GRUCell: 3, nn.LSTMCell: 4}


def recurrent_macs(m, x):
    gates = GATES[type(m)]
    layers, directions = (1, 1) if isinstance(m, nn.RNNCellBase) else (m.num_layers, 2 if m.bidirectional else 1)
    per_step = sum(directions * gates * m.hidden_size * ((m.input_size if layer == 0 else directions * m.hidden_size) + m.hidden_size)
                   for layer in range(layers))
    return x.numel() // m.input_size * per_step


def macs(m, x, y):
    if isinstance(m, nn.Linear):
        return m.in_features * y.numel()
    if isinstance(m, nn.Bilinear):
        return m.in1_features * m.in2_features * y.numel()
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return x.numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size)
    if isinstance(m, nn.modules.conv._ConvNd):
        return y.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)
    if isinstance(m, (nn.RNNBase, nn.RNNCellBase)):
        return recurrent_macs(m, x)
    return 0


ZERO_RULE = (nn.Embedding, nn.EmbeddingBag, nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
HAS_RULE = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase, nn.RNNCellBase) + ZERO_RULE

for name, (_, make_input) in {**zoo.ZOO, **zoo.EXTRA}.items():
    model = zoo.build(name, seed=5)
    x = make_input(torch.Generator().manual_seed(13), 3)
    outputs, total, seen = {}, [0], set()

    def hook(m, inputs, output):
        y = output[0] if isinstance(output, tuple) else output
        outputs.setdefault(m, list(y.shape))
        seen.add(m)
        total[0] += macs(m, inputs[0], y)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        out = model(x)
    for h in handles:
        h.remove()

    layers, uncounted = [], []
    for module_name, m in model.named_modules():
        own = list(m.parameters(recurse=False))
        counted = (isinstance(m, ZERO_RULE) or m in seen) if isinstance(m, HAS_RULE) else not own
        if not counted:
            uncounted.append(f"{module_name or type(m).__name__} ({type(m).__name__})")
        layers.append({"name": module_name, "type": type(m).__name__, "output": outputs.get(m),
                       "params": sum(p.numel() for p in m.parameters())})
    oracle.array(f"{name}.input", x)
    oracle.json_text(f"{name}.summary", {
        "output": list(out.shape), "layers": layers, "uncounted": uncounted,
        "macs_per_sample": total[0] // x.shape[0] if not uncounted else None,
        "total_params": sum(p.numel() for p in model.parameters())})

oracle.done()
