"""ModelSummary's numbers for every zoo model, computed by torch forward hooks with the rule ModelSummary documents:
per layer its output shape in one eval-mode pass (the first output of a recurrent layer), its parameter count, and
multiply-accumulates per call: Linear in_features per output element, Bilinear in1 x in2 per output element,
Conv* in_channels / groups x kernel elements per output element, ConvTranspose* out_channels / groups x kernel
elements per INPUT element (each input element is scattered over a kernel-sized window), RNN/LSTM/GRU (and cells) per step
gates x hidden x (layer input + hidden) for every layer and direction with steps = input elements / input_size,
Embedding and the normalisation layers (BatchNorm*, InstanceNorm*, LayerNorm, GroupNorm) 0. A module that ran with
parameters of its own and no rule makes the total unknown (null) and is listed as uncounted; the outermost modules that
did not run are listed as not run and count nothing (torchinfo's rule: count what ran)."""
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


class AuxBranchNet(nn.Module):
    """Inception v3's pattern: an auxiliary head that runs only in training, and a registered layer forward never
    uses (Inspection/AuxBranchNet.cs is the same model)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.aux = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 3 * 3, 10)
        self.spare = nn.Linear(10, 10)

    def forward(self, x):
        h = self.features(x)
        logits = self.fc(self.flatten(h))
        if self.training:
            logits = logits + self.aux(h)
        return logits


def summarise(name, model, x):
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

    layers, uncounted, not_run, not_run_names = [], [], [], set()
    for module_name, m in model.named_modules():
        layers.append({"name": module_name, "type": type(m).__name__, "output": outputs.get(m),
                       "params": sum(p.numel() for p in m.parameters())})
        if m not in seen:
            # Only the outermost module that did not run is listed; it counts nothing, as torchinfo counts what ran.
            if not (module_name and module_name.rpartition(".")[0] in not_run_names):
                not_run.append(module_name or type(m).__name__)
            not_run_names.add(module_name)
            continue
        if not isinstance(m, HAS_RULE) and list(m.parameters(recurse=False)):
            uncounted.append(f"{module_name or type(m).__name__} ({type(m).__name__})")
    oracle.array(f"{name}.input", x)
    oracle.json_text(f"{name}.summary", {
        "output": list(out.shape), "layers": layers, "uncounted": uncounted, "not_run": not_run,
        "macs_per_sample": total[0] // x.shape[0] if not uncounted else None,
        "total_params": sum(p.numel() for p in model.parameters())})


for name, (_, make_input) in {**zoo.ZOO, **zoo.EXTRA}.items():
    summarise(name, zoo.build(name, seed=5), make_input(torch.Generator().manual_seed(13), 3))

torch.manual_seed(5)
summarise("aux_branch", AuxBranchNet().eval(), torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(13)))

oracle.done()
