"""model.state_dict() of every zoo model (and zoo.EXTRA) in torch's order: key, dtype, shape, whether it is a
parameter and whether it requires grad (the first layer frozen, to see both); and checkpoints that differ from the
zoo's models on purpose, for the comparison without loading."""
import torch

import oracle
import zoo

for name in {**zoo.ZOO, **zoo.EXTRA}:
    model = zoo.build(name, seed=3)
    first = next(model.parameters())
    first.requires_grad_(False)
    oracle.json_text(f"{name}.state_dict", [
        {"key": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
         "parameter": isinstance(v, torch.nn.Parameter),
         "requires_grad": v.requires_grad}
        for k, v in model.state_dict(keep_vars=True).items()])

# BatchNormCnn's state_dict without one buffer and with a key of another model: one missing, one unexpected key.
state = zoo.build("batchnorm_cnn").state_dict()
del state["features.1.num_batches_tracked"]
state["head.weight"] = torch.zeros(3, 3)
torch.save(state, oracle.path("batchnorm_cnn_edited.pth"))

# LeNet with 12 classes and in float64: shape mismatches on the last Linear, dtype mismatches everywhere.
wide = zoo.LeNet()
wide.classifier[4] = torch.nn.Linear(84, 12)
torch.save(wide.state_dict(), oracle.path("lenet_12_classes.pth"))
torch.save(zoo.build("lenet").double().state_dict(), oracle.path("lenet_float64.pth"))

# The document's model and the quickstart variant have the same state_dict (ReLU has none).
torch.save(zoo.build("quickstart").state_dict(), oracle.path("quickstart.pth"))

oracle.done()
