using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>One model the exporter supports, built here: every layer family with its settings, nested modules, and
/// the zoo's sequential models. Each runs in ONNX Runtime against libtorch (<see cref="LayerExportTests"/>) and
/// through onnx.checker (<see cref="OnnxCheckerTests"/>).</summary>
/// <param name="Name">The case's name (also its file name in the checker's folder).</param>
/// <param name="Create">Builds the model: seeded weights, BatchNorm statistics moved off their initial values, in eval mode.</param>
/// <param name="InputShape">One sample's shape, passed as <c>OnnxExportOptions.InputShape</c>.</param>
/// <param name="Operators">The exact operators the graph must hold, in order.</param>
public sealed record ExportCase(string Name, Func<Module<Tensor, Tensor>> Create, long[] InputShape, string[] Operators)
{
    public override string ToString() => Name;
}

internal static class ExportCases
{
    private static readonly string[] GeluErf = ["Constant", "Div", "Erf", "Constant", "Mul", "Constant", "Add", "Mul"];
    private static readonly string[] GeluTanh =
        ["Mul", "Mul", "Constant", "Mul", "Add", "Constant", "Mul", "Tanh", "Constant", "Mul", "Constant", "Add", "Mul"];
    private static readonly string[] BinaryStepOps = ["Constant", "GreaterOrEqual", "Cast", "IsNaN", "Where"];

    public static IReadOnlyList<ExportCase> All { get; } =
    [
        // Convolution: stride, padding (explicit, Same with an odd total, Valid), dilation, groups, bias.
        Case("conv2d", () => Conv2d(3, 4, 3), [3, 9, 9], "Conv"),
        Case("conv2d_stride_padding_dilation", () => Conv2d(3, 6, (3, 2), stride: (2, 1), padding: (1, 2), dilation: (2, 1)), [3, 11, 10], "Conv"),
        Case("conv2d_groups_no_bias", () => Conv2d(4, 8, 3, groups: 2, bias: false), [4, 8, 8], "Conv"),
        Case("conv2d_depthwise", () => Conv2d(4, 4, 3, padding: 1, groups: 4), [4, 7, 7], "Conv"),
        Case("conv2d_same_even_kernel", () => Conv2d(2, 3, 4, TorchSharp.Padding.Same), [2, 7, 6], "Conv"),
        Case("conv2d_same_dilated", () => Conv2d(2, 3, 3, TorchSharp.Padding.Same, dilation: 2), [2, 8, 8], "Conv"),
        Case("conv2d_valid", () => Conv2d(2, 3, 3, TorchSharp.Padding.Valid), [2, 6, 5], "Conv"),
        Case("conv1d", () => Conv1d(3, 5, 4, stride: 2, padding: 3, dilation: 2), [3, 20], "Conv"),
        Case("conv1d_same_groups_no_bias", () => Conv1d(4, 6, 4, TorchSharp.Padding.Same, groups: 2, bias: false), [4, 15], "Conv"),

        // BatchNorm in eval mode: running statistics, with and without affine parameters, 2-d and 3-d inputs of 1d.
        Case("batchnorm2d", () => Sequential(Conv2d(2, 4, 3), BatchNorm2d(4)), [2, 6, 6], "Conv", "BatchNormalization"),
        Case("batchnorm2d_no_affine_eps", () => BatchNorm2d(3, eps: 1e-2, affine: false), [3, 4, 5], "Constant", "Constant", "BatchNormalization"),
        Case("batchnorm1d_features", () => Sequential(Linear(10, 6), BatchNorm1d(6)), [10], "Gemm", "BatchNormalization"),
        Case("batchnorm1d_sequence", () => BatchNorm1d(3), [3, 7], "BatchNormalization"),

        // Pooling: kernel, stride, padding, dilation, ceil_mode (one that adds a window, one where libtorch drops it),
        // count_include_pad; adaptive average pooling to 1 and to divisors of the input.
        Case("maxpool2d", () => MaxPool2d(2), [2, 9, 9], "MaxPool"),
        Case("maxpool2d_ceil", () => MaxPool2d(3, stride: 2, ceil_mode: true), [2, 10, 10], "MaxPool"),
        Case("maxpool2d_padding_dilation", () => MaxPool2d((3, 2), stride: (2, 1), padding: (1, 1), dilation: (2, 1)), [2, 11, 9], "MaxPool"),
        Case("maxpool2d_ceil_window_in_padding", () => MaxPool2d(2, stride: 2, padding: 1, ceil_mode: true), [1, 5, 6], "MaxPool"),
        Case("maxpool1d", () => MaxPool1d(3, stride: 2, padding: 1, dilation: 2, ceil_mode: true), [3, 16], "MaxPool"),
        Case("avgpool2d", () => AvgPool2d(2), [2, 9, 8], "AveragePool"),
        Case("avgpool2d_padding_included", () => AvgPool2d(3, stride: 2, padding: 1), [2, 9, 9], "AveragePool"),
        Case("avgpool2d_padding_excluded", () => AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false), [2, 9, 9], "AveragePool"),
        Case("avgpool2d_ceil", () => AvgPool2d(3, stride: 2, ceil_mode: true), [2, 10, 10], "AveragePool"),
        Case("avgpool2d_ceil_padding_excluded", () => AvgPool2d(3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false), [2, 10, 10], "AveragePool"),
        Case("avgpool2d_ceil_padding_included", () => AvgPool2d(3, stride: 2, padding: 1, ceil_mode: true), [2, 10, 10], "AveragePool"),
        Case("avgpool1d_ceil_padding_excluded", () => AvgPool1d(4, stride: 3, padding: 2, ceil_mode: true, count_include_pad: false), [3, 17], "AveragePool"),
        Case("avgpool1d_ceil_padding_included", () => AvgPool1d(4, stride: 3, padding: 2, ceil_mode: true), [3, 17], "AveragePool"),
        Case("adaptive_avgpool2d_1", () => AdaptiveAvgPool2d(1), [3, 7, 5], "GlobalAveragePool"),
        Case("adaptive_avgpool2d_1_1", () => AdaptiveAvgPool2d((1, 1)), [3, 6, 6], "GlobalAveragePool"),
        Case("adaptive_avgpool2d_divisors", () => AdaptiveAvgPool2d((2, 3)), [3, 8, 9], "AveragePool"),
        Case("adaptive_avgpool1d_1", () => AdaptiveAvgPool1d(1), [3, 10], "GlobalAveragePool"),

        // Activations, each on a wide range of inputs.
        Case("gelu", () => GELU(), [40], GeluErf),
        Case("gelu_tanh", () => GELU(TorchSharp.Modules.GELU.Approximate.tanh), [40], GeluTanh),
        Case("silu", () => SiLU(), [40], "Sigmoid", "Mul"),
        Case("leaky_relu", () => LeakyReLU(0.2), [40], "LeakyRelu"),
        Case("elu", () => ELU(0.7), [40], "Elu"),
        Case("softplus", () => Softplus(), [40], "Softplus", "Constant", "Greater", "Where"),
        Case("softplus_beta_threshold", () => Softplus(beta: 2, threshold: 3), [40],
            "Constant", "Mul", "Softplus", "Constant", "Div", "Constant", "Greater", "Where"),
        Case("hardtanh_inplace", () => Sequential(Linear(40, 40), Hardtanh(-0.5, 2, inplace: true)), [40], "Gemm", "Constant", "Constant", "Clip"),
        Case("relu6", () => ReLU6(), [40], "Constant", "Constant", "Clip"),
        Case("log_softmax", () => LogSoftmax(1), [40], "LogSoftmax"),
        Case("relu_sigmoid_tanh_softmax_step", () => Sequential(ReLU(), Sigmoid(), Tanh(), new BinaryStep(), Softmax(-1)), [40],
            ["Relu", "Sigmoid", "Tanh", .. BinaryStepOps, "Softmax"]),

        // LayerNorm (opset 17 LayerNormalization) over one and two trailing dimensions, without affine or bias.
        Case("layernorm", () => LayerNorm(16), [5, 16], "LayerNormalization"),
        Case("layernorm_two_dims", () => LayerNorm([4, 6]), [3, 4, 6], "LayerNormalization"),
        Case("layernorm_no_affine", () => LayerNorm(8, elementwise_affine: false), [8], "Constant", "LayerNormalization"),
        Case("layernorm_no_bias", () => LayerNorm(8, bias: false), [2, 8], "LayerNormalization"),

        // Shapes and what eval mode leaves out.
        Case("unflatten_conv_flatten", () => Sequential(Linear(12, 24), Unflatten(1, [2, -1, 3]), Conv2d(2, 2, 2), Flatten()), [12],
            "Gemm", "Constant", "Reshape", "Conv", "Flatten"),
        Case("partial_flatten_rank3_linear", () => Sequential(Flatten(2, 3), Linear(20, 3), ReLU(), Linear(3, 3, hasBias: false), Flatten(), Softmax(-1)),
            [2, 4, 5], "Constant", "Reshape", "Transpose", "MatMul", "Add", "Relu", "Transpose", "MatMul", "Flatten", "Softmax"),
        Case("identity_and_dropouts", () => Sequential(
                Identity(), Dropout(0.3), Conv1d(2, 4, 3), Dropout1d(0.2), AlphaDropout(0.1), Unflatten(1, [2, 2]),
                Dropout2d(0.4), Dropout3d(0.1), FeatureAlphaDropout(0.2), Flatten(), Identity()),
            [2, 8], "Conv", "Constant", "Reshape", "Flatten"),
        Case("identity_only", () => Sequential(Identity()), [5], "Identity"),
        Case("nested_declared_blocks", () => Sequential(
                ("stem", new ConvBlock(1, 4)),
                ("body", Sequential(("block", new ConvBlock(4, 4)), ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()))),
                ("head", new DeclaredBlock(4, 3, Softmax(1)))),
            [1, 8, 8], "Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Relu", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"),
        Case("undeclared_lenet", () => new UndeclaredLeNet(), [1, 28, 28],
            "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"),
        Case("undeclared_nested", () => Sequential(("block", new UndeclaredBlock(6)), ("head", new DeclaredBlock(6, 3, ReLU()))), [6],
            "Gemm", "Gemm", "Relu"),

        // The zoo's sequential models (weights made here; the oracle's zoo test loads torch's).
        Case("documented", () => new NeuralNetwork(), [1, 28, 28], "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu"),
        Case("quickstart", () => new NeuralNetwork(NeuralNetworkVariant.Quickstart), [784], "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"),
        Case("mlp", () => new Mlp(), [28, 28], "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"),
        Case("lenet", () => new LeNet(), [1, 28, 28],
            "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"),
        Case("batchnorm_cnn", () => new BatchNormCnn(), [1, 28, 28],
            "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"),
    ];

    /// <summary>NUnit cases, one per model.</summary>
    public static IEnumerable<TestCaseData> Cases() => All.Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    /// <summary>An input batch of 3 for <paramref name="c"/>: normal values of standard deviation 3, so activations
    /// see both tails (Softplus's threshold, GELU's saturation) and pooling windows see distinct values.</summary>
    public static Tensor Input(ExportCase c)
    {
        using var generator = new Generator(97, CPU);
        using var unit = randn([3, .. c.InputShape], generator: generator);
        return unit * 3;
    }

    private static ExportCase Case(string name, Func<Module<Tensor, Tensor>> create, long[] shape, params string[] operators) =>
        new(name, () => Prepare(name, create), shape, operators);

    // Seeded weights; BatchNorm and LayerNorm statistics and affine parameters off their initial 0s and 1s, so the
    // graph must really carry them; eval mode.
    private static Module<Tensor, Tensor> Prepare(string name, Func<Module<Tensor, Tensor>> create)
    {
        manual_seed(name.Aggregate(17L, (h, ch) => h * 31 + ch) & 0xFFFF);
        var model = create();
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var module in model.modules())
            {
                var (mean, variance, weight, bias) = module switch
                {
                    BatchNorm n => (n.running_mean, n.running_var, (Tensor?)n.weight, (Tensor?)n.bias),
                    LayerNorm n => (null, null, n.weight, n.bias),
                    _ => (null, null, null, null),
                };
                mean?.copy_(randn(mean.shape) * 0.5);
                variance?.copy_(rand(variance.shape) + 0.5);
                weight?.copy_(randn(weight.shape) * 0.5 + 1);
                bias?.copy_(randn(bias.shape) * 0.5);
            }
        }
        model.eval();
        return model;
    }
}
