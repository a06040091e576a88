using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch;

/// <summary>
/// The document's <c>NeuralNetwork(nn.Module)</c>: <c>Flatten</c>, then
/// <c>Sequential(Linear(784, 512), ReLU(), Linear(512, 512), ReLU(), Linear(512, 10)[, ReLU()])</c>.
/// </summary>
/// <remarks>
/// <para>Input: float32 <c>[N, 28, 28]</c> or <c>[N, 1, 28, 28]</c> (anything <c>nn.Flatten()</c> turns into
/// <c>[N, 784]</c>). Output: logits <c>[N, 10]</c>, on the model's device.</para>
/// <para>Its submodules are the fields <c>flatten</c> and <c>linear_relu_stack</c>, so <c>named_parameters()</c> and
/// <c>state_dict()</c> use PyTorch's keys: <c>linear_relu_stack.0.weight</c> [512, 784], <c>.0.bias</c> [512],
/// <c>.2.weight</c> [512, 512], <c>.2.bias</c> [512], <c>.4.weight</c> [10, 512], <c>.4.bias</c> [10]
/// (669,706 parameters). Weights start as PyTorch's <c>Linear</c> initialisation: uniform in
/// ±1/sqrt(in_features); call <c>torch.manual_seed</c> first for reproducible weights.</para>
/// <para>Constructing it is a valid first TorchSharp call of a program: the native backend is initialised first.</para>
/// <para>It declares its forward sequential (<see cref="ISequentialModule"/>: <c>flatten</c>, then
/// <c>linear_relu_stack</c>), so <see cref="Onnx.OnnxExport"/> exports it and <c>Predict</c> recognises its MLP.</para>
/// </remarks>
public sealed class NeuralNetwork : Module<Tensor, Tensor>, ISequentialModule
{
    /// <summary>Values per input sample: 28 x 28 pixels.</summary>
    public const int InputFeatures = 28 * 28;

    /// <summary>Number of classes (outputs per sample).</summary>
    public const int OutputFeatures = 10;

    /// <summary>Width of both hidden layers.</summary>
    public const int HiddenFeatures = 512;

    // Field names mirror PyTorch: RegisterComponents names submodules after them, and they are the state_dict keys.
#pragma warning disable IDE1006, SA1300 // naming: these names ARE PyTorch's module keys
    private readonly Flatten flatten;
    private readonly Sequential linear_relu_stack;
#pragma warning restore IDE1006, SA1300

    // What forward applies, in order (a static field: RegisterComponents looks at instance fields only).
    private static readonly IReadOnlyList<string> ForwardChain = Array.AsReadOnly([nameof(flatten), nameof(linear_relu_stack)]);

    /// <summary>Builds the model with freshly initialised weights on the CPU.</summary>
    /// <param name="variant">The document's model (default, final ReLU) or the quickstart tutorial's (no final ReLU).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="variant"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded (see the README's platform notes).</exception>
    public NeuralNetwork(NeuralNetworkVariant variant = NeuralNetworkVariant.Documented)
        : base(TorchRuntime.EnsureInitialized(nameof(NeuralNetwork)))
    {
        if (!Enum.IsDefined(variant))
        {
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "Expected NeuralNetworkVariant.Documented or NeuralNetworkVariant.Quickstart.");
        }
        Variant = variant;
        flatten = Flatten();
        var layers = new List<Module<Tensor, Tensor>>
        {
            Linear(InputFeatures, HiddenFeatures),
            ReLU(),
            Linear(HiddenFeatures, HiddenFeatures),
            ReLU(),
            Linear(HiddenFeatures, OutputFeatures),
        };
        if (variant == NeuralNetworkVariant.Documented)
        {
            layers.Add(ReLU());
        }
        linear_relu_stack = Sequential(layers);
        RegisterComponents();
    }

    /// <summary>Which variant this model is.</summary>
    public NeuralNetworkVariant Variant { get; }

    /// <inheritdoc />
    IReadOnlyList<string> ISequentialModule.SequentialChildren => ForwardChain;

    /// <summary><c>linear_relu_stack(flatten(x))</c>.</summary>
    /// <param name="x">Images <c>[N, 28, 28]</c> or <c>[N, 1, 28, 28]</c> (float32, on the model's device).</param>
    /// <returns>Logits <c>[N, 10]</c>; the caller owns the tensor.</returns>
    /// <remarks>This is the raw module call, as in PyTorch: shapes and dtypes are checked by libtorch. For checked
    /// input and class predictions use <see cref="Prediction.PredictionExtensions"/>.</remarks>
    public override Tensor forward(Tensor x)
    {
        // call(), not forward(): like PyTorch's self.flatten(x), it runs the children's forward hooks (the
        // inspection summary records output shapes with them).
        using var flat = flatten.call(x);
        return linear_relu_stack.call(flat);
    }
}
