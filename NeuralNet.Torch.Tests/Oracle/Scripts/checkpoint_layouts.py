"""Checkpoints as they are found in the wild, written by torch itself, for both NeuralNetwork variants.

For each variant V (documented, quickstart) and layout L, the file `V.L.pth` (`.pt` for TorchScript), and:
  V.state.<key>      every state_dict tensor's exact values (the expected bits)
  V.input            a batch of images; V.logits and V.classes: torch's eval-mode output and argmax on it
  V.float16.state.<key> (and bfloat16): the half-precision values; V.float16.float32.state.<key>: the same values
                     widened to float32; V.float16.classes: what that float32 model predicts
  V.sgd.state.<key>, V.sgd.classes (and adam): the trained weights a training dict holds and their predictions
  V.keys             the state_dict's keys in torch's order (json)
Layouts: default (torch.save), p2 and p4 (pickle_protocol), legacy (_use_new_zipfile_serialization=False), sgd and
adam (the saving-and-loading tutorial's training dict, after two optimizer steps), lightning (a Lightning-style dict,
keys prefixed 'model.'), dataparallel ('module.' keys), float16, bfloat16, shared (every tensor a view of one
storage), strided (column-major weights), sliced (non-contiguous slices of larger tensors), whole (torch.save(model)),
scripted and traced (TorchScript).
Then the zoo's BatchNorm models (batchnorm_cnn, residual) and the text model the same way for default and scripted:
zoo.N.pth, zoo.N.scripted.pt, zoo.N.state.<key>, zoo.N.input, zoo.N.logits, zoo.N.keys.
"""
import torch
from torch import nn

import oracle
import zoo


def tensors(prefix, state_dict):
    for key, value in state_dict.items():
        oracle.array(f"{prefix}.state.{key}", value)


def train_steps(model, optimizer, x):
    model.train()
    for _ in range(2):
        optimizer.zero_grad()
        loss = model(x).logsumexp(1).mean()
        loss.backward()
        optimizer.step()
    model.eval()
    return float(loss)


def training_dict(model, optimizer, loss):
    # The layout of PyTorch's "Saving and loading a general checkpoint" recipe.
    return {"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss}


def one_storage(state_dict):
    flat = torch.cat([v.reshape(-1) for v in state_dict.values()])
    views, offset = {}, 0
    for key, value in state_dict.items():
        views[key] = flat[offset:offset + value.numel()].view(value.shape)
        offset += value.numel()
    return views


def column_major(state_dict):
    return {k: v.t().contiguous().t() if v.dim() == 2 else v for k, v in state_dict.items()}


def slices(state_dict):
    result = {}
    for key, value in state_dict.items():
        if value.dim() == 2:
            big = torch.zeros(value.shape[0] + 3, value.shape[1] + 5)
            big[2:2 + value.shape[0], 1:1 + value.shape[1]] = value
            result[key] = big[2:2 + value.shape[0], 1:1 + value.shape[1]]
        else:
            big = torch.zeros(value.shape[0] * 2 + 1)
            big[1::2] = value
            result[key] = big[1::2]
        assert not result[key].is_contiguous()
    return result


def classes_of(model, x):
    with torch.no_grad():
        return model(x).argmax(1)


for variant, final_relu in [("documented", True), ("quickstart", False)]:
    x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    oracle.array(f"{variant}.input", x)

    def fresh(seed=11):
        torch.manual_seed(seed)
        return zoo.NeuralNetwork(final_relu=final_relu).eval()

    model = fresh()
    sd = model.state_dict()
    tensors(variant, sd)
    oracle.json_text(f"{variant}.keys", list(sd.keys()))
    with torch.no_grad():
        logits = model(x)
    oracle.array(f"{variant}.logits", logits)
    oracle.array(f"{variant}.classes", logits.argmax(1))

    torch.save(sd, oracle.path(f"{variant}.default.pth"))
    torch.save(sd, oracle.path(f"{variant}.p2.pth"), pickle_protocol=2)
    torch.save(sd, oracle.path(f"{variant}.p4.pth"), pickle_protocol=4)
    torch.save(sd, oracle.path(f"{variant}.legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(nn.DataParallel(model).state_dict(), oracle.path(f"{variant}.dataparallel.pth"))
    torch.save(one_storage(sd), oracle.path(f"{variant}.shared.pth"))
    torch.save(column_major(sd), oracle.path(f"{variant}.strided.pth"))
    torch.save(slices(sd), oracle.path(f"{variant}.sliced.pth"))
    torch.save(model, oracle.path(f"{variant}.whole.pth"))
    torch.jit.script(model).save(oracle.path(f"{variant}.scripted.pt"))
    torch.jit.trace(model, x[:1]).save(oracle.path(f"{variant}.traced.pt"))

    # Training dicts: the model's weights after two optimizer steps are what the file holds.
    for name, make in [("sgd", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)), ("adam", lambda p: torch.optim.Adam(p, lr=1e-3))]:
        trained = fresh(seed=21 if name == "sgd" else 22)
        optimizer = make(trained.parameters())
        loss = train_steps(trained, optimizer, x[:16])
        torch.save(training_dict(trained, optimizer, loss), oracle.path(f"{variant}.{name}.pth"))
        tensors(f"{variant}.{name}", trained.state_dict())
        oracle.array(f"{variant}.{name}.classes", classes_of(trained, x))

    # Lightning: {"state_dict": {"model." + key: ...}, ...} for a LightningModule whose attribute `model` is the net.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.save({
        "epoch": 3, "global_step": 2814, "pytorch-lightning_version": "2.1.0",
        "state_dict": {"model." + k: v for k, v in sd.items()},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 3}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(0.42), "dirpath": "ckpt"}},
        "optimizer_states": [optimizer.state_dict()], "lr_schedulers": [],
        "hparams_name": "kwargs", "hyper_parameters": {"lr": 1e-3, "betas": (0.9, 0.999), "layers": [512, 512]},
    }, oracle.path(f"{variant}.lightning.pth"))

    for dtype in [torch.float16, torch.bfloat16]:
        name = str(dtype)[6:]
        half = fresh().to(dtype)
        torch.save(half.state_dict(), oracle.path(f"{variant}.{name}.pth"))
        tensors(f"{variant}.{name}", half.state_dict())
        # The model a float32 reader ends up with: exactly the half values, widened (Module.float() is in place).
        widened = half.float()
        tensors(f"{variant}.{name}.float32", widened.state_dict())
        oracle.array(f"{variant}.{name}.classes", classes_of(widened, x))

for name in ["batchnorm_cnn", "residual", "text"]:
    model = zoo.build(name, seed=5)
    sd = model.state_dict()
    tensors(f"zoo.{name}", sd)
    oracle.json_text(f"zoo.{name}.keys", list(sd.keys()))
    x = zoo.ZOO[name][1](torch.Generator().manual_seed(9), 16)
    oracle.array(f"zoo.{name}.input", x)
    with torch.no_grad():
        oracle.array(f"zoo.{name}.logits", model(x))
    torch.save(sd, oracle.path(f"zoo.{name}.pth"))
    torch.jit.script(model).save(oracle.path(f"zoo.{name}.scripted.pt"))

oracle.done()
