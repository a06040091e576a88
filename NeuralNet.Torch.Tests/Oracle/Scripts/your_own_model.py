"""examples/09-YourOwnModel on torch's side: its model.py (the path is ARGS[0]) printed, its state_dict listed, a
checkpoint with torch's seeded weights (BatchNorm statistics moved by a few training-mode passes), a small
FashionMNIST-shaped test split in IDX files, and torch's softmax/argmax for it."""
import importlib.util
import struct

import torch

import oracle

spec = importlib.util.spec_from_file_location("model", oracle.ARGS[0])
model_py = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model_py)

torch.manual_seed(0)
model = model_py.FashionCnn()
oracle.text("repr", str(model))
parameters = dict(model.named_parameters())
oracle.text("state_dict", "\n".join(
    f"{name} {str(t.dtype).replace('torch.', '')} {list(t.shape)} {'parameter' if name in parameters else 'buffer'}"
    for name, t in model.state_dict().items()))
oracle.text("parameter_count", str(sum(p.numel() for p in model.parameters())))

generator = torch.Generator().manual_seed(1)
model.train()
with torch.no_grad():
    for _ in range(3):
        model(torch.rand(16, 1, 28, 28, generator=generator))
model.eval()
torch.save(model.state_dict(), oracle.path("model.pth"))
oracle.text("bias", str(model.classifier[4].bias))

count = 300
pixels = torch.randint(0, 256, (count, 28, 28), dtype=torch.uint8, generator=generator)
labels = torch.randint(0, 10, (count,), dtype=torch.uint8, generator=generator)
with open(oracle.path("t10k-images-idx3-ubyte"), "wb") as f:
    f.write(struct.pack(">IIII", 0x803, count, 28, 28) + pixels.numpy().tobytes())
with open(oracle.path("t10k-labels-idx1-ubyte"), "wb") as f:
    f.write(struct.pack(">II", 0x801, count) + labels.numpy().tobytes())
with torch.no_grad():
    probabilities = torch.softmax(model(pixels.unsqueeze(1).float() / 255), dim=1)
oracle.array("probabilities", probabilities)
oracle.array("labels", labels.long())
oracle.done()
