"""The PyTorch model that examples/09-YourOwnModel ports to .NET (FashionCnn.cs is its C# twin, field for field).

    python3 model.py                  # print the model, as the C# step 1 does
    python3 model.py --save model.pth # a checkpoint with PyTorch's own initial weights, for steps 2-5
    python3 model.py --load model.pth # load weights trained in .NET (step 6) back into PyTorch
"""
import argparse

import torch
from torch import nn


class FashionCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--save", help="write a state_dict with PyTorch's initial weights to this file")
    parser.add_argument("--load", help="load a state_dict (e.g. written by the .NET training step) and print it")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = FashionCnn()
    if args.load:
        print(model.load_state_dict(torch.load(args.load, weights_only=True)))
    print(model)
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"Saved {args.save}")
