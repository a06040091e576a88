"""repr() of single layers built with non-default settings, one text per layer (`<name>.repr`), and of the
containers, and TorchScript archives of zoo models with their repr once loaded; the C# side builds the same layers under the same names (Inspection/LayerCases.cs). Layers whose text
TorchSharp cannot know in full are here too: the C# tests compare what they can and pin the rest."""
from collections import OrderedDict

import torch
from torch import nn

import oracle
import zoo

torch.manual_seed(0)

LAYERS = {
    # Convolution
    "conv1d": lambda: nn.Conv1d(4, 8, 5, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect"),
    "conv2d": lambda: nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=3, padding_mode="replicate"),
    "conv2d_plain": lambda: nn.Conv2d(1, 6, 5),
    "conv2d_same": lambda: nn.Conv2d(2, 4, 3, padding="same", bias=False),
    "conv2d_valid": lambda: nn.Conv2d(2, 4, 3, padding="valid", padding_mode="circular"),
    "conv3d": lambda: nn.Conv3d(2, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), groups=2),
    "conv_transpose1d": lambda: nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False),
    "conv_transpose2d": lambda: nn.ConvTranspose2d(4, 8, (3, 4), stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
    "conv_transpose3d": lambda: nn.ConvTranspose3d(2, 2, 3, stride=2, dilation=2, output_padding=1),
    # Pooling
    "max_pool1d": lambda: nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    "max_pool2d": lambda: nn.MaxPool2d((2, 3), stride=(1, 2), padding=1, dilation=(2, 1), ceil_mode=True),
    "max_pool2d_plain": lambda: nn.MaxPool2d(2),
    "max_pool3d": lambda: nn.MaxPool3d(2, stride=1, padding=1),
    "avg_pool1d": lambda: nn.AvgPool1d(4, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d": lambda: nn.AvgPool2d((2, 4), stride=(1, 2), padding=(1, 2), ceil_mode=True, count_include_pad=False, divisor_override=3),
    "avg_pool2d_plain": lambda: nn.AvgPool2d(3),
    "avg_pool3d": lambda: nn.AvgPool3d(2, stride=(1, 2, 2)),
    "adaptive_avg_pool1d": lambda: nn.AdaptiveAvgPool1d(5),
    "adaptive_avg_pool2d": lambda: nn.AdaptiveAvgPool2d((5, 7)),
    "adaptive_avg_pool2d_one": lambda: nn.AdaptiveAvgPool2d(1),
    "adaptive_avg_pool3d": lambda: nn.AdaptiveAvgPool3d((2, 3, 4)),
    "adaptive_max_pool1d": lambda: nn.AdaptiveMaxPool1d(3),
    "adaptive_max_pool2d": lambda: nn.AdaptiveMaxPool2d((4, 2)),
    "adaptive_max_pool3d": lambda: nn.AdaptiveMaxPool3d(2),
    "lp_pool1d": lambda: nn.LPPool1d(3.0, 2, stride=1, ceil_mode=True),
    "lp_pool2d": lambda: nn.LPPool2d(2.0, (2, 3)),
    "fractional_max_pool2d": lambda: nn.FractionalMaxPool2d(3, output_ratio=0.5),
    "fractional_max_pool3d": lambda: nn.FractionalMaxPool3d(2, output_size=4),
    "max_unpool1d": lambda: nn.MaxUnpool1d(2, stride=3, padding=1),
    "max_unpool2d": lambda: nn.MaxUnpool2d(2),
    "max_unpool3d": lambda: nn.MaxUnpool3d(2, stride=1),
    # Normalisation
    "batch_norm1d": lambda: nn.BatchNorm1d(8, eps=1e-3, momentum=0.2, affine=False),
    "batch_norm2d": lambda: nn.BatchNorm2d(16, eps=0.01, momentum=0.05),
    "batch_norm3d": lambda: nn.BatchNorm3d(4, track_running_stats=False),
    "instance_norm1d": lambda: nn.InstanceNorm1d(6, eps=1e-4, affine=True),
    "instance_norm2d": lambda: nn.InstanceNorm2d(3, momentum=0.3, track_running_stats=True),
    "instance_norm3d": lambda: nn.InstanceNorm3d(2),
    "layer_norm": lambda: nn.LayerNorm(16, eps=1e-6, elementwise_affine=False),
    "layer_norm_2d": lambda: nn.LayerNorm([4, 5]),
    "group_norm": lambda: nn.GroupNorm(2, 6, eps=1e-3),
    "group_norm_no_affine": lambda: nn.GroupNorm(3, 6, affine=False),
    "local_response_norm": lambda: nn.LocalResponseNorm(3, alpha=2e-4, beta=0.5, k=2.0),
    # Dropout, Embedding
    "dropout": lambda: nn.Dropout(0.25, inplace=True),
    "dropout1d": lambda: nn.Dropout1d(0.1),
    "dropout2d": lambda: nn.Dropout2d(0.3, inplace=True),
    "dropout3d": lambda: nn.Dropout3d(0.4),
    "alpha_dropout": lambda: nn.AlphaDropout(0.2),
    "feature_alpha_dropout": lambda: nn.FeatureAlphaDropout(0.15, inplace=True),
    "embedding": lambda: nn.Embedding(100, 16),
    "embedding_padding_idx": lambda: nn.Embedding(10, 3, padding_idx=0),
    "embedding_bag": lambda: nn.EmbeddingBag(10, 3, mode="sum"),
    # Recurrent
    "rnn": lambda: nn.RNN(8, 16, num_layers=2, nonlinearity="relu", bias=False, batch_first=True),
    "rnn_dropout": lambda: nn.RNN(8, 16, num_layers=2, dropout=0.5),
    "lstm": lambda: nn.LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=True),
    "gru": lambda: nn.GRU(8, 12, bias=False, bidirectional=True),
    "rnn_cell": lambda: nn.RNNCell(4, 6, bias=False),
    "rnn_cell_relu": lambda: nn.RNNCell(4, 6, nonlinearity="relu"),
    "lstm_cell": lambda: nn.LSTMCell(4, 6),
    "gru_cell": lambda: nn.GRUCell(5, 7, bias=False),
    # Activations
    "elu": lambda: nn.ELU(alpha=0.5, inplace=True),
    "celu": lambda: nn.CELU(alpha=2.0),
    "selu": lambda: nn.SELU(inplace=True),
    "gelu": lambda: nn.GELU(approximate="tanh"),
    "gelu_plain": lambda: nn.GELU(),
    "silu": lambda: nn.SiLU(inplace=True),
    "mish": lambda: nn.Mish(inplace=True),
    "hardtanh": lambda: nn.Hardtanh(-2.0, 3.0),
    "hardswish": lambda: nn.Hardswish(inplace=True),
    "hardsigmoid": lambda: nn.Hardsigmoid(inplace=True),
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "rrelu": lambda: nn.RReLU(0.1, 0.3),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "prelu": lambda: nn.PReLU(num_parameters=3, init=0.1),
    "softplus": lambda: nn.Softplus(beta=2.0, threshold=10.0),
    "softshrink": lambda: nn.Softshrink(0.3),
    "hardshrink": lambda: nn.Hardshrink(0.25),
    "tanhshrink": lambda: nn.Tanhshrink(),
    "threshold": lambda: nn.Threshold(0.1, 20.0),
    "glu": lambda: nn.GLU(dim=1),
    "log_sigmoid": lambda: nn.LogSigmoid(),
    "softsign": lambda: nn.Softsign(),
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "softmax": lambda: nn.Softmax(dim=0),
    "log_softmax": lambda: nn.LogSoftmax(dim=-1),
    "softmin": lambda: nn.Softmin(dim=2),
    "softmax2d": lambda: nn.Softmax2d(),
    # Shape and misc
    "identity": lambda: nn.Identity(),
    "linear": lambda: nn.Linear(3, 4, bias=False),
    "bilinear": lambda: nn.Bilinear(3, 4, 5, bias=False),
    "flatten": lambda: nn.Flatten(0, 2),
    "unflatten": lambda: nn.Unflatten(1, (2, 8)),
    "upsample": lambda: nn.Upsample(scale_factor=2.0, mode="bilinear"),
    "upsample_scales": lambda: nn.Upsample(scale_factor=(2.0, 3.0), mode="nearest"),
    "upsample_size": lambda: nn.Upsample(size=(4, 6), mode="bicubic"),
    "upsample_one_size": lambda: nn.Upsample(size=4, mode="linear"),
    "pixel_shuffle": lambda: nn.PixelShuffle(3),
    "pixel_unshuffle": lambda: nn.PixelUnshuffle(2),
    "channel_shuffle": lambda: nn.ChannelShuffle(2),
    "zero_pad2d": lambda: nn.ZeroPad2d((1, 2, 3, 4)),
    "constant_pad1d": lambda: nn.ConstantPad1d((2, 3), 1.5),
    "constant_pad2d": lambda: nn.ConstantPad2d(1, -2.5),
    "constant_pad3d": lambda: nn.ConstantPad3d((1, 0, 2, 0, 3, 0), 0.25),
    "reflection_pad1d": lambda: nn.ReflectionPad1d((1, 2)),
    "reflection_pad2d": lambda: nn.ReflectionPad2d(2),
    "reflection_pad3d": lambda: nn.ReflectionPad3d(1),
    "replication_pad1d": lambda: nn.ReplicationPad1d(3),
    "replication_pad2d": lambda: nn.ReplicationPad2d((1, 0, 2, 0)),
    "replication_pad3d": lambda: nn.ReplicationPad3d((1, 1, 2, 2, 0, 0)),
    "cosine_similarity": lambda: nn.CosineSimilarity(dim=0, eps=1e-6),
    "pairwise_distance": lambda: nn.PairwiseDistance(p=1.0, eps=1e-5, keepdim=True),
    "fold": lambda: nn.Fold(output_size=(4, 5), kernel_size=2),
    "unfold": lambda: nn.Unfold(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2)),
    # Float settings a C# caller passes as float literals (widened to double by TorchSharp's constructors)
    "dropout_float32": lambda: nn.Dropout(p=0.2),
    "dropout_float32_tenth": lambda: nn.Dropout(0.1),
    "dropout2d_float32": lambda: nn.Dropout2d(0.2),
    "leaky_relu_float32": lambda: nn.LeakyReLU(0.01),
    "elu_float32": lambda: nn.ELU(alpha=0.3),
    "celu_float32": lambda: nn.CELU(alpha=0.9),
    "hardtanh_float32": lambda: nn.Hardtanh(-0.7, 0.7),
    "rrelu_float32": lambda: nn.RReLU(0.1, 0.3),
    "softplus_float32": lambda: nn.Softplus(beta=0.7, threshold=15.5),
    "softshrink_float32": lambda: nn.Softshrink(0.3),
    "threshold_float32": lambda: nn.Threshold(0.1, 0.2),
    "batch_norm2d_float32": lambda: nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
    "instance_norm2d_float32": lambda: nn.InstanceNorm2d(3, eps=1e-3, momentum=0.01),
    "layer_norm_float32": lambda: nn.LayerNorm(16, eps=1e-6),
    "group_norm_float32": lambda: nn.GroupNorm(2, 6, eps=3e-4),
    "local_response_norm_float32": lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
    "constant_pad2d_float32": lambda: nn.ConstantPad2d(1, 0.1),
    "upsample_float32": lambda: nn.Upsample(scale_factor=1.1, mode="nearest"),
    # Containers
    "sequential_named": lambda: nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), act=nn.ReLU(), pool=nn.MaxPool2d(2))),
    "sequential_nested": lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Tanh()), nn.Sequential(), nn.Dropout(0.1)),
    "module_list": lambda: nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)]),
    "module_list_empty": lambda: nn.ModuleList(),
    "module_dict": lambda: nn.ModuleDict(OrderedDict(pool=nn.MaxPool2d(3), conv=nn.Conv2d(10, 10, 3))),
    "parameter_list": lambda: nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), nn.Parameter(torch.zeros(4, dtype=torch.float64)),
                                                nn.Parameter(torch.tensor(1.0))]),
    "parameter_dict": lambda: nn.ParameterDict(OrderedDict(right=nn.Parameter(torch.zeros(5, 10)),
                                                           left=nn.Parameter(torch.zeros(2, dtype=torch.float16)))),
    # Transformer blocks
    "multihead_attention": lambda: nn.MultiheadAttention(16, 2),
    "transformer_encoder_layer": lambda: nn.TransformerEncoderLayer(16, 2, 32),
    "transformer_encoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32), 2),
    "transformer_decoder_layer": lambda: nn.TransformerDecoderLayer(16, 2, 32),
    "transformer_decoder": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 2, 32), 2),
    "transformer": lambda: nn.Transformer(16, 2, 1, 1, 32),
    # Losses
    "cross_entropy_loss": lambda: nn.CrossEntropyLoss(),
    "mse_loss": lambda: nn.MSELoss(),
}

for name, make in LAYERS.items():
    oracle.text(f"{name}.repr", repr(make()))
oracle.json_text("names", list(LAYERS))

# Every zoo model's repr.
for name in zoo.ZOO:
    oracle.text(f"{name}.zoo.repr", repr(zoo.build(name)))

# TorchScript archives of two zoo models, and what torch prints for them once loaded.
for name in ("documented", "lenet"):
    path = oracle.path(f"{name}.script.pt")
    torch.jit.script(zoo.build(name)).save(path)
    oracle.text(f"{name}.script.repr", repr(torch.jit.load(path)))

oracle.done()
