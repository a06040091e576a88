"""The test zoo in PyTorch: the same models as NeuralNet.Torch.Tests/Zoo/*.cs, with the same class names, attribute
names (the state_dict keys), layer settings and forward passes. Keep the two in step.

Each entry: name -> (constructor, input maker). Inputs are made with the given generator.
"""
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    """The document's model (final ReLU) or, with final_relu=False, the quickstart tutorial's."""

    def __init__(self, final_relu=True):
        super().__init__()
        self.flatten = nn.Flatten()
        layers = [nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)]
        if final_relu:
            layers.append(nn.ReLU())
        self.linear_relu_stack = nn.Sequential(*layers)

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


class Mlp(nn.Module):
    """784-256-128-10."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.layers(self.flatten(x))


class LeNet(nn.Module):
    """LeNet-5 style, sequential: features, flatten, classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class BatchNormCnn(nn.Module):
    """Conv2d, BatchNorm2d, ReLU, MaxPool2d, Dropout, Linear: the training issue's CNN."""

    def __init__(self, feature_dropout=0.25, classifier_dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout(feature_dropout))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Dropout(classifier_dropout), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(x + self.bn2(self.conv2(y)))


class ResidualNet(nn.Module):
    """A stem, one residual block (a non-sequential forward: x + f(x)), global average pooling, a Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = ResidualBlock(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.block(self.stem(x)))))


class TextClassifier(nn.Module):
    """Token ids [N, T] (int64, 0..99) -> Embedding(100, 16) -> GRU(16, 32, batch_first) -> last hidden -> Linear(32, 4)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 16)
        self.gru = nn.GRU(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        _, h = self.gru(self.embedding(x))
        return self.fc(h[-1])


class UpConvNet(nn.Module):
    """Strided, grouped and transposed convolutions: [N, 1, 28, 28] -> 14x14 -> 28x28 -> 6x6 -> Linear(144, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 4, 2, stride=2), nn.ReLU(),
            nn.Conv2d(4, 4, 5, stride=4, groups=2, bias=False), nn.ReLU())
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 6 * 6, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.features(x)))


class SequenceClassifier(nn.Module):
    """Token ids [N, T] -> Embedding(100, 8) -> GRU or LSTM(8, 16, 2 layers, batch_first, bidirectional) -> the output
    at the last step -> Linear(32, 4)."""

    def __init__(self, cell="gru"):
        super().__init__()
        self.embedding = nn.Embedding(100, 8)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(8, 16, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.fc(out[:, -1])


def images(generator, n):
    return torch.rand(n, 1, 28, 28, generator=generator)


def tokens(generator, n):
    return torch.randint(0, 100, (n, 12), generator=generator)


ZOO = {
    "documented": (lambda: NeuralNetwork(), images),
    "quickstart": (lambda: NeuralNetwork(final_relu=False), images),
    "mlp": (Mlp, images),
    "lenet": (LeNet, images),
    "batchnorm_cnn": (BatchNormCnn, images),
    "residual": (ResidualNet, images),
    "text": (TextClassifier, tokens),
    "upconv": (UpConvNet, images),
    "bigru": (lambda: SequenceClassifier("gru"), tokens),
}

# Models for the concerns whose checks need no forward parity (summary, state_dict order). Not in ZOO: TorchSharp
# 0.107's LSTM under no_grad (libtorch 2.10's CPU inference path) does not give PyTorch's output on this project's
# machines, while with grad enabled it does; a zoo model must match torch's forward.
EXTRA = {
    "bilstm": (lambda: SequenceClassifier("lstm"), tokens),
}


def build(name, seed=0):
    """The model `name`, its weights from torch.manual_seed(seed); BatchNorm running statistics moved away from their
    initial values by a few training-mode passes, so loading them is tested; returned in eval mode."""
    make, inputs = ZOO[name] if name in ZOO else EXTRA[name]
    torch.manual_seed(seed)
    model = make()
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        generator = torch.Generator().manual_seed(seed + 1)
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(inputs(generator, 8) * 2 - 0.5)
    model.eval()
    return model
