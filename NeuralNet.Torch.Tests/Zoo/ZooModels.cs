using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>The test zoo: each model defined once here and once in <c>Oracle/Scripts/zoo.py</c> (same class names,
/// attribute names, settings and forward), under the same names.</summary>
internal static class ZooModels
{
    /// <summary>The names, as in zoo.py's <c>ZOO</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["documented", "quickstart", "mlp", "lenet", "batchnorm_cnn", "residual", "text", "upconv", "bigru"];

    /// <summary>zoo.py's <c>EXTRA</c>: models for checks that need no forward parity (TorchSharp 0.107's LSTM under
    /// <c>no_grad</c> does not give PyTorch's output here; see zoo.py).</summary>
    public static IReadOnlyList<string> ExtraNames { get; } = ["bilstm"];

    /// <summary>A new model with fresh (TorchSharp-initialised) weights, on the CPU, in training mode.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "documented" => new NeuralNetwork(),
        "quickstart" => new NeuralNetwork(NeuralNetworkVariant.Quickstart),
        "mlp" => new Mlp(),
        "lenet" => new LeNet(),
        "batchnorm_cnn" => new BatchNormCnn(),
        "residual" => new ResidualNet(),
        "text" => new TextClassifier(),
        "upconv" => new UpConvNet(),
        "bigru" => new SequenceClassifier(lstm: false),
        "bilstm" => new SequenceClassifier(lstm: true),
        _ => throw new ArgumentException($"no zoo model named '{name}'", nameof(name)),
    };

    /// <summary>One sample's shape (without the batch dimension) and its dtype.</summary>
    public static (long[] Shape, ScalarType DType) Sample(string name) =>
        name is "text" or "bigru" or "bilstm" ? ([12], ScalarType.Int64) : ([1, 28, 28], ScalarType.Float32);

    /// <summary>NUnit cases, one per zoo model.</summary>
    public static IEnumerable<TestCaseData> Cases() => Names.Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    /// <summary>NUnit cases, one per zoo model and per extra model.</summary>
    public static IEnumerable<TestCaseData> CasesWithExtras() => Names.Concat(ExtraNames).Select(n => new TestCaseData(n).SetArgDisplayNames(n));
}
