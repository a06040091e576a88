"""Training runs for TrainingOracleTests, made by torch:

1. zoo.BatchNormCnn with dropout 0 (randomness out; BatchNorm in train mode), torch-made initial weights and 20
   torch-made batches of 16 (no shuffle), trained per optimizer as the quickstart's train_loop does (forward,
   CrossEntropyLoss, backward, [clip_grad_norm_], step, [scheduler.step()], zero_grad): every batch's loss.item() and
   the final state_dict (BatchNorm running statistics and num_batches_tracked included). In float32 and float64.
   Each float32 run is measured against torch itself: how far its losses and weights are from the float64 run's (the
   rounding of float32 amplified through these 20 steps) and from the same float32 run on 2 threads (another
   summation order). The tests derive their float32 tolerances from that spread, not from a number seen on one CPU.
2. The quickstart tutorial's own loops (train_loop/test_loop, printing every batch) on a tiny set: the printed text.
"""
import contextlib
import io

import torch
from torch import nn

import oracle
import zoo

BATCHES, BATCH = 20, 16


def optimizers():
    return {
        "sgd_momentum": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4), None, None),
        "adam": (lambda p: torch.optim.Adam(p, lr=1e-3), None, None),
        "adamw": (lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01), None, None),
        "sgd_onecycle_clip": (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
                              lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=BATCHES), 0.5),
    }


generator = torch.Generator().manual_seed(17)
inputs = torch.rand(BATCHES * BATCH, 1, 28, 28, generator=generator)
labels = torch.randint(0, 10, (BATCHES * BATCH,), generator=generator)
oracle.array("inputs", inputs)
oracle.array("labels", labels)
torch.manual_seed(5)
initial = zoo.BatchNormCnn(0.0, 0.0)
torch.save(initial.state_dict(), oracle.path("initial.pth"))


def train(name, dtype, threads):
    make_optimizer, make_scheduler, clip = optimizers()[name]
    torch.set_num_threads(threads)
    model = zoo.BatchNormCnn(0.0, 0.0)
    model.load_state_dict(initial.state_dict())
    model = model.to(dtype)
    model.train()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    x_all = inputs.to(dtype)
    for b in range(BATCHES):
        x, y = x_all[b * BATCH:(b + 1) * BATCH], labels[b * BATCH:(b + 1) * BATCH]
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64), model.state_dict()


def difference(losses, state, other_losses, other_state):
    return ((losses.double() - other_losses.double()).abs().max().item(),
            max((state[k].double() - other_state[k].double()).abs().max().item() for k in state))


for name in optimizers():
    runs = {}
    for dtype, suffix in ((torch.float32, "float32"), (torch.float64, "float64")):
        runs[suffix] = train(name, dtype, 1)
        oracle.array(f"{name}.{suffix}.losses", runs[suffix][0])
        torch.save(runs[suffix][1], oracle.path(f"{name}.{suffix}.pth"))
    # torch's float32 spread: [losses, weights], the larger of its distance to float64 and to itself on 2 threads.
    to_float64 = difference(*runs["float32"], *runs["float64"])
    to_two_threads = difference(*runs["float32"], *train(name, torch.float32, 2))
    spread = [max(a, b) for a, b in zip(to_float64, to_two_threads)]
    oracle.array(f"{name}.float32.spread", torch.tensor(spread, dtype=torch.float64))
torch.set_num_threads(1)

# The quickstart tutorial's loops (the version of ../../../../shared/reference/pytorch-formats.md: current = (batch + 1) * len(X)),
# verbatim but for the print interval (every batch) and the data (tiny, synthetic).
quick = torch.Generator().manual_seed(23)
train_x = torch.rand(200, 1, 28, 28, generator=quick)
train_y = torch.randint(0, 10, (200,), generator=quick)
test_x = torch.rand(100, 1, 28, 28, generator=quick)
test_y = torch.randint(0, 10, (100,), generator=quick)
for n, t in (("quickstart.train_x", train_x), ("quickstart.train_y", train_y), ("quickstart.test_x", test_x), ("quickstart.test_y", test_y)):
    oracle.array(n, t)
torch.manual_seed(29)
model = zoo.NeuralNetwork(final_relu=False)
torch.save(model.state_dict(), oracle.path("quickstart.pth"))
train_dataloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x, train_y), batch_size=64)
test_dataloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test_x, test_y), batch_size=64)
learning_rate, epochs = 1e-3, 3
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 1 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    for t in range(epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        train_loop(train_dataloader, model, loss_fn, optimizer)
        test_loop(test_dataloader, model, loss_fn)
    print("Done!")
oracle.text("quickstart.text", printed.getvalue())

oracle.done()
