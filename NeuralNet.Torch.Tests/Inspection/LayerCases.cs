using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>The layers of <c>Oracle/Scripts/module_text.py</c>, built with the same settings in TorchSharp under the
/// same names.</summary>
internal static class LayerCases
{
    public static IReadOnlyDictionary<string, Func<nn.Module>> All { get; } = new Dictionary<string, Func<nn.Module>>
    {
        // Convolution
        ["conv1d"] = () => Conv1d(4, 8, 5, stride: 2, padding: 1, dilation: 2, padding_mode: PaddingModes.Reflect, groups: 2, bias: false),
        ["conv2d"] = () => Conv2d(3, 6, (3, 5), stride: (2, 1), padding: (1, 2), dilation: (1, 2), padding_mode: PaddingModes.Replicate, groups: 3),
        ["conv2d_plain"] = () => Conv2d(1, 6, 5),
        ["conv2d_same"] = () => Conv2d(2, 4, 3, Padding.Same, bias: false),
        ["conv2d_valid"] = () => Conv2d(2, 4, 3, Padding.Valid, padding_mode: PaddingModes.Circular),
        ["conv3d"] = () => Conv3d(2, 4, (1, 3, 3), stride: (1, 2, 2), padding: (0, 1, 1), groups: 2),
        ["conv_transpose1d"] = () => ConvTranspose1d(4, 2, 3, stride: 2, padding: 1, output_padding: 1, groups: 2, bias: false),
        ["conv_transpose2d"] = () => ConvTranspose2d(4, 8, (3, 4), stride: (2, 3), padding: (1, 0), output_padding: (1, 2)),
        ["conv_transpose3d"] = () => ConvTranspose3d(2, 2, 3, stride: 2, dilation: 2, output_padding: 1),
        // Pooling
        ["max_pool1d"] = () => MaxPool1d(3, stride: 2, padding: 1, dilation: 2, ceil_mode: true),
        ["max_pool2d"] = () => MaxPool2d([2, 3], stride: [1, 2], padding: [1, 1], dilation: [2, 1], ceil_mode: true),
        ["max_pool2d_plain"] = () => MaxPool2d(2),
        ["max_pool3d"] = () => MaxPool3d(2, stride: 1, padding: 1),
        ["avg_pool1d"] = () => AvgPool1d(4, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false),
        ["avg_pool2d"] = () => AvgPool2d([2, 4], stride: [1, 2], padding: [1, 2], ceil_mode: true, count_include_pad: false, divisor_override: 3),
        ["avg_pool2d_plain"] = () => AvgPool2d(3),
        ["avg_pool3d"] = () => AvgPool3d([2, 2, 2], stride: [1, 2, 2]),
        ["adaptive_avg_pool1d"] = () => AdaptiveAvgPool1d(5),
        ["adaptive_avg_pool2d"] = () => AdaptiveAvgPool2d((5, 7)),
        ["adaptive_avg_pool2d_one"] = () => AdaptiveAvgPool2d(1),
        ["adaptive_avg_pool3d"] = () => AdaptiveAvgPool3d((2, 3, 4)),
        ["adaptive_max_pool1d"] = () => AdaptiveMaxPool1d(3),
        ["adaptive_max_pool2d"] = () => AdaptiveMaxPool2d([4, 2]),
        // TorchSharp 0.107's constructor drops output_size (its forward would fail too): set it as a user must.
        ["adaptive_max_pool3d"] = () => AdaptiveMaxPool3dWithSize([2, 2, 2]),
        ["lp_pool1d"] = () => LPPool1d(3.0, 2, stride: 1, ceil_mode: true),
        ["lp_pool2d"] = () => LPPool2d(2.0, [2, 3]),
        ["fractional_max_pool2d"] = () => FractionalMaxPool2d(3, output_ratio: 0.5),
        ["fractional_max_pool3d"] = () => FractionalMaxPool3d(2, output_size: 4),
        ["max_unpool1d"] = () => MaxUnpool1d(2, stride: 3, padding: 1),
        ["max_unpool2d"] = () => MaxUnpool2d(2),
        ["max_unpool3d"] = () => MaxUnpool3d(2, stride: 1),
        // Normalisation
        ["batch_norm1d"] = () => BatchNorm1d(8, eps: 1e-3, momentum: 0.2, affine: false),
        ["batch_norm2d"] = () => BatchNorm2d(16, eps: 0.01, momentum: 0.05),
        ["batch_norm3d"] = () => BatchNorm3d(4, track_running_stats: false),
        ["instance_norm1d"] = () => InstanceNorm1d(6, eps: 1e-4, affine: true),
        ["instance_norm2d"] = () => InstanceNorm2d(3, momentum: 0.3, track_running_stats: true),
        ["instance_norm3d"] = () => InstanceNorm3d(2),
        ["layer_norm"] = () => LayerNorm(16, eps: 1e-6, elementwise_affine: false),
        ["layer_norm_2d"] = () => LayerNorm([4, 5]),
        ["group_norm"] = () => GroupNorm(2, 6, eps: 1e-3),
        ["group_norm_no_affine"] = () => GroupNorm(3, 6, affine: false),
        ["local_response_norm"] = () => LocalResponseNorm(3, alpha: 2e-4, beta: 0.5, k: 2.0),
        // Dropout, Embedding
        ["dropout"] = () => Dropout(0.25, inplace: true),
        ["dropout1d"] = () => Dropout1d(0.1),
        ["dropout2d"] = () => Dropout2d(0.3, inplace: true),
        ["dropout3d"] = () => Dropout3d(0.4),
        ["alpha_dropout"] = () => AlphaDropout(0.2),
        ["feature_alpha_dropout"] = () => FeatureAlphaDropout(0.15, inplace: true),
        ["embedding"] = () => Embedding(100, 16),
        ["embedding_padding_idx"] = () => Embedding(10, 3, padding_idx: 0),
        ["embedding_bag"] = () => EmbeddingBag(10, 3, mode: EmbeddingBagMode.Sum),
        // Recurrent
        ["rnn"] = () => RNN(8, 16, numLayers: 2, nonLinearity: NonLinearities.ReLU, bias: false, batchFirst: true),
        ["rnn_dropout"] = () => RNN(8, 16, numLayers: 2, dropout: 0.5),
        ["lstm"] = () => LSTM(16, 32, numLayers: 2, batchFirst: true, bidirectional: true),
        ["gru"] = () => GRU(8, 12, bias: false, bidirectional: true),
        ["rnn_cell"] = () => RNNCell(4, 6, bias: false),
        ["rnn_cell_relu"] = () => RNNCell(4, 6, nonLinearity: NonLinearities.ReLU),
        ["lstm_cell"] = () => LSTMCell(4, 6),
        ["gru_cell"] = () => GRUCell(5, 7, bias: false),
        // Activations
        ["elu"] = () => ELU(alpha: 0.5, inplace: true),
        ["celu"] = () => CELU(alpha: 2.0),
        ["selu"] = () => SELU(inplace: true),
        ["gelu"] = () => GELU(TorchSharp.Modules.GELU.Approximate.tanh),
        ["gelu_plain"] = () => GELU(),
        ["silu"] = () => SiLU(inplace: true),
        ["mish"] = () => Mish(inplace: true),
        ["hardtanh"] = () => Hardtanh(-2.0, 3.0),
        ["hardswish"] = () => Hardswish(inplace: true),
        ["hardsigmoid"] = () => Hardsigmoid(inplace: true),
        ["relu"] = () => ReLU(inplace: true),
        ["relu6"] = () => ReLU6(inplace: true),
        ["rrelu"] = () => RReLU(0.1, 0.3),
        ["leaky_relu"] = () => LeakyReLU(0.2, inplace: true),
        ["prelu"] = () => PReLU(3, init: 0.1),
        ["softplus"] = () => Softplus(beta: 2.0, threshold: 10.0),
        ["softshrink"] = () => Softshrink(0.3),
        ["hardshrink"] = () => Hardshrink(0.25),
        ["tanhshrink"] = () => Tanhshrink(),
        ["threshold"] = () => Threshold(0.1, 20.0),
        ["glu"] = () => GLU(dim: 1),
        ["log_sigmoid"] = () => LogSigmoid(),
        ["softsign"] = () => Softsign(),
        ["sigmoid"] = () => Sigmoid(),
        ["tanh"] = () => Tanh(),
        ["softmax"] = () => Softmax(0),
        ["log_softmax"] = () => LogSoftmax(-1),
        ["softmin"] = () => Softmin(2),
        ["softmax2d"] = () => Softmax2d(),
        // Shape and misc
        ["identity"] = () => Identity(),
        ["linear"] = () => Linear(3, 4, hasBias: false),
        ["bilinear"] = () => Bilinear(3, 4, 5, hasBias: false),
        ["flatten"] = () => Flatten(0, 2),
        ["unflatten"] = () => Unflatten(1, [2, 8]),
        ["upsample"] = () => Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear),
        ["upsample_scales"] = () => Upsample(scale_factor: [2.0, 3.0], mode: UpsampleMode.Nearest),
        ["upsample_size"] = () => Upsample(size: [4, 6], mode: UpsampleMode.Bicubic),
        ["upsample_one_size"] = () => Upsample(size: [4], mode: UpsampleMode.Linear),
        ["pixel_shuffle"] = () => PixelShuffle(3),
        ["pixel_unshuffle"] = () => PixelUnshuffle(2),
        ["channel_shuffle"] = () => ChannelShuffle(2),
        ["zero_pad2d"] = () => ZeroPad2d((1, 2, 3, 4)),
        ["constant_pad1d"] = () => ConstantPad1d((2, 3), 1.5),
        ["constant_pad2d"] = () => ConstantPad2d(1, -2.5),
        ["constant_pad3d"] = () => ConstantPad3d((1, 0, 2, 0, 3, 0), 0.25),
        ["reflection_pad1d"] = () => ReflectionPad1d((1, 2)),
        ["reflection_pad2d"] = () => ReflectionPad2d(2),
        ["reflection_pad3d"] = () => ReflectionPad3d(1),
        ["replication_pad1d"] = () => ReplicationPad1d(3),
        ["replication_pad2d"] = () => ReplicationPad2d((1, 0, 2, 0)),
        ["replication_pad3d"] = () => ReplicationPad3d((1, 1, 2, 2, 0, 0)),
        ["cosine_similarity"] = () => CosineSimilarity(dim: 0, eps: 1e-6),
        ["pairwise_distance"] = () => PairwiseDistance(p: 1.0, eps: 1e-5, keepdim: true),
        ["fold"] = () => Fold((4, 5), (2, 2)),
        ["unfold"] = () => Unfold((2, 3), dilation: (2, 2), padding: (1, 1), stride: (1, 2)),
        // Float settings passed as float literals: TorchSharp widens them to doubles (0.2f is 0.20000000298023224).
        ["dropout_float32"] = () => Dropout(0.2f),
        ["dropout_float32_tenth"] = () => Dropout(0.1f),
        ["dropout2d_float32"] = () => Dropout2d(0.2f),
        ["leaky_relu_float32"] = () => LeakyReLU(0.01f),
        ["elu_float32"] = () => ELU(alpha: 0.3f),
        ["celu_float32"] = () => CELU(alpha: 0.9f),
        ["hardtanh_float32"] = () => Hardtanh(-0.7f, 0.7f),
        ["rrelu_float32"] = () => RReLU(0.1f, 0.3f),
        ["softplus_float32"] = () => Softplus(beta: 0.7f, threshold: 15.5f),
        ["softshrink_float32"] = () => Softshrink(0.3f),
        ["threshold_float32"] = () => Threshold(0.1f, 0.2f),
        ["batch_norm2d_float32"] = () => BatchNorm2d(8, eps: 1e-3f, momentum: 0.01f),
        ["instance_norm2d_float32"] = () => InstanceNorm2d(3, eps: 1e-3f, momentum: 0.01f),
        ["layer_norm_float32"] = () => LayerNorm(16, eps: 1e-6f),
        ["group_norm_float32"] = () => GroupNorm(2, 6, eps: 3e-4f),
        ["local_response_norm_float32"] = () => LocalResponseNorm(5, alpha: 1e-4f, beta: 0.75f, k: 2.0f),
        ["constant_pad2d_float32"] = () => ConstantPad2d(1, 0.1f),
        ["upsample_float32"] = () => Upsample(scale_factor: [1.1f, 1.1f], mode: UpsampleMode.Nearest),
        // Containers
        ["sequential_named"] = () => Sequential(("conv", Conv2d(1, 2, 3)), ("act", ReLU()), ("pool", MaxPool2d(2))),
        ["sequential_nested"] = () => Sequential(Sequential(Linear(2, 3), Tanh()), Sequential(), Dropout(0.1)),
        ["module_list"] = () => ModuleList(Linear(2, 3), ReLU(), Linear(3, 2)),
        ["module_list_empty"] = () => ModuleList(),
        ["module_dict"] = () => ModuleDict(("pool", MaxPool2d(3)), ("conv", Conv2d(10, 10, 3))),
        ["parameter_list"] = () => ParameterList(
            new Parameter(zeros(2, 3)), new Parameter(zeros(4, ScalarType.Float64)), new Parameter(tensor(1.0f))),
        ["parameter_dict"] = () => ParameterDict(
            ("right", new Parameter(zeros(5, 10))), ("left", new Parameter(zeros(2, ScalarType.Float16)))),
        // Transformer blocks
        ["multihead_attention"] = () => MultiheadAttention(16, 2),
        ["transformer_encoder_layer"] = () => TransformerEncoderLayer(16, 2, 32),
        ["transformer_encoder"] = () => TransformerEncoder(TransformerEncoderLayer(16, 2, 32), 2),
        ["transformer_decoder_layer"] = () => TransformerDecoderLayer(16, 2, 32),
        ["transformer_decoder"] = () => TransformerDecoder(TransformerDecoderLayer(16, 2, 32), 2),
        ["transformer"] = () => Transformer(16, 2, 1, 1, 32),
        // Losses
        ["cross_entropy_loss"] = () => CrossEntropyLoss(),
        ["mse_loss"] = () => MSELoss(),
    };

    /// <summary>Layers whose text TorchSharp cannot know in full: what the library prints, and how torch's text
    /// differs (the part left out, or what stands for <c>?</c>). Everything else prints byte for byte.</summary>
    public static IReadOnlyDictionary<string, (string Library, string TorchOnly)> Partial { get; } = new Dictionary<string, (string, string)>
    {
        // TorchSharp keeps these settings in libtorch: PyTorch prints them only when set, so they are left out.
        ["embedding_padding_idx"] = ("Embedding(10, 3)", ", padding_idx=0"),
        ["rnn_dropout"] = ("RNN(8, 16, num_layers=2)", ", dropout=0.5"),
        ["rnn_cell_relu"] = ("RNNCell(4, 6)", ", nonlinearity=relu"),
        // PyTorch always prints these; unknown here, so '?' stands in their place.
        ["embedding_bag"] = ("EmbeddingBag(10, 3, mode=?)", "sum"),
        ["group_norm_no_affine"] = ("GroupNorm(3, ?, eps=1e-05, affine=False)", "6"),
    };

    /// <summary>TorchSharp's transformer blocks are single libtorch modules without child modules: they print their
    /// name only, where PyTorch prints the children.</summary>
    public static IReadOnlyList<string> NameOnly { get; } =
        ["multihead_attention", "transformer_encoder_layer", "transformer_encoder", "transformer_decoder_layer", "transformer_decoder", "transformer"];

    public static AdaptiveMaxPool3d AdaptiveMaxPool3dWithSize(long[] size)
    {
        var pool = AdaptiveMaxPool3d(size);
        pool.output_size = size;
        return pool;
    }

    public static IEnumerable<TestCaseData> Exact() =>
        All.Keys.Where(n => !Partial.ContainsKey(n) && !NameOnly.Contains(n)).Select(n => new TestCaseData(n).SetArgDisplayNames(n));
}
