using NeuralNet.Torch.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Activations;

/// <summary>
/// One neuron of the seed document: <c>output = activation(sum(weights * inputs) + bias)</c>, computed by libtorch.
/// </summary>
/// <remarks>
/// <para>Shapes, for a neuron with n inputs: input <c>[n]</c> gives a scalar tensor <c>[]</c> (read it with
/// <c>item&lt;float&gt;()</c>); a batch <c>[N, n]</c> gives <c>[N]</c>; in general <c>[..., n]</c> gives
/// <c>[...]</c>, and an empty batch <c>[0, n]</c> gives <c>[0]</c>. <c>torch.nn.Linear(n, 1)</c> followed by the
/// same activation computes the same values with a trailing dimension of 1 (<c>[1]</c>, <c>[N, 1]</c>).</para>
/// <para>Parameters (float32, trainable): <c>weight</c> <c>[n]</c> and <c>bias</c> <c>[]</c>; these are its
/// <c>state_dict</c> keys. The activation is the child module <c>activation</c>, made by
/// <see cref="Activation.Create"/>. It is a plain TorchSharp module: <c>to(device)</c>, <c>to(dtype)</c>,
/// <c>parameters()</c> and optimisers work on it.</para>
/// <para>NaN: a NaN input or weight makes the weighted sum NaN, and every activation here maps NaN to NaN, so the
/// output is NaN for that sample. An infinite input can give NaN too (∞ * 0 weight, or ∞ - ∞ in the sum).</para>
/// <para>Softmax is refused: it normalises across several outputs, so a single neuron's softmax would always be 1.
/// Apply <see cref="Activation.Softmax"/> to a layer's outputs instead.</para>
/// </remarks>
public sealed class Neuron : nn.Module<Tensor, Tensor>
{
    // Field names mirror torch.nn.Linear: RegisterComponents names parameters and children after them.
#pragma warning disable IDE1006, SA1300 // naming: these names ARE the state_dict keys
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly nn.Module<Tensor, Tensor> activation;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates a neuron with the given weights and bias.</summary>
    /// <param name="weights">One weight per input (n = its length); copied, so later changes to the array do not
    /// reach the neuron.</param>
    /// <param name="bias">The bias.</param>
    /// <param name="activation">The activation; any kind but <see cref="ActivationKind.Softmax"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is empty, or <paramref name="activation"/> is
    /// <see cref="ActivationKind.Softmax"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public Neuron(float[] weights, float bias, ActivationKind activation)
        : base(CheckArguments(weights, activation))
    {
        ActivationKind = activation;
        weight = new Parameter(tensor(weights));
        this.bias = new Parameter(tensor(bias));
        this.activation = Activation.Create(activation);
        RegisterComponents();
    }

    /// <summary>Creates a neuron with random weights and bias, initialised as <c>torch.nn.Linear(n, 1)</c> does:
    /// uniform in ±1/sqrt(n). Call <c>torch.manual_seed</c> first for reproducible values.</summary>
    /// <param name="inputCount">The number of inputs, n.</param>
    /// <param name="activation">The activation; any kind but <see cref="ActivationKind.Softmax"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputCount"/> is not positive, or
    /// <paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException"><paramref name="activation"/> is <see cref="ActivationKind.Softmax"/>.</exception>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public Neuron(int inputCount, ActivationKind activation)
        : base(CheckArguments(inputCount, activation))
    {
        ActivationKind = activation;
        var bound = 1 / Math.Sqrt(inputCount);
        using (no_grad())
        {
            weight = new Parameter(empty(inputCount).uniform_(-bound, bound));
            bias = new Parameter(empty(Array.Empty<long>()).uniform_(-bound, bound));
        }
        this.activation = Activation.Create(activation);
        RegisterComponents();
    }

    /// <summary>The activation applied to the weighted sum.</summary>
    public ActivationKind ActivationKind { get; }

    /// <summary>The number of inputs, n.</summary>
    public int InputCount => (int)weight.shape[0];

    /// <summary>The weights, <c>[n]</c> (the <c>weight</c> parameter itself: copying into it under
    /// <c>torch.no_grad()</c> changes the neuron).</summary>
    public Parameter Weight => weight;

    /// <summary>The bias, a scalar tensor <c>[]</c> (the <c>bias</c> parameter itself).</summary>
    public Parameter Bias => bias;

    /// <summary>Computes <c>activation(sum(weights * inputs) + bias)</c> for one input vector or a batch.</summary>
    /// <param name="inputs"><c>[n]</c>, <c>[N, n]</c> or <c>[..., n]</c>, with the neuron's dtype (float32 unless
    /// converted) and on its device.</param>
    /// <returns><c>[]</c> for <c>[n]</c>, <c>[N]</c> for <c>[N, n]</c>, <c>[...]</c> for <c>[..., n]</c>; the caller
    /// owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is null.</exception>
    /// <exception cref="ArgumentException">The last dimension is not n (the message gives the expected and the found
    /// length), the input is a scalar, or its dtype or device differs from the neuron's.</exception>
    public override Tensor forward(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var shape = inputs.shape;
        var expected = weight.shape[0];
        if (shape.Length == 0 || shape[^1] != expected)
        {
            var found = shape.Length == 0 ? "a scalar" : $"{shape[^1]} input(s) per sample";
            throw new ArgumentException(
                $"Expected {expected} input(s) per sample (shape [{expected}] or [N, {expected}]) to match the neuron's " +
                $"{expected} weight(s); found {found} (shape [{string.Join(", ", shape)}]).", nameof(inputs));
        }
        // Device has reference equality in TorchSharp: compare its type and index, not the objects.
        if (inputs.dtype != weight.dtype || inputs.device_type != weight.device_type || inputs.device_index != weight.device_index)
        {
            throw new ArgumentException(
                $"Expected inputs of dtype {weight.dtype} on {weight.device} (the neuron's); found dtype {inputs.dtype} " +
                $"on {inputs.device}. Convert with inputs.to(...) or move the neuron with to(...).", nameof(inputs));
        }
        using var scope = NewDisposeScope();
        var sum = matmul(inputs, weight).add(bias);
        return activation.forward(sum).MoveToOuterDisposeScope();
    }

    private static string CheckArguments(float[] weights, ActivationKind activation)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0)
        {
            throw new ArgumentException("Expected at least one weight (one per input); found none.", nameof(weights));
        }
        return CheckActivation(activation);
    }

    private static string CheckArguments(int inputCount, ActivationKind activation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputCount);
        return CheckActivation(activation);
    }

    private static string CheckActivation(ActivationKind activation)
    {
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(
                nameof(activation), activation, $"Expected one of {string.Join(", ", Enum.GetNames<ActivationKind>())}.");
        }
        if (activation == ActivationKind.Softmax)
        {
            throw new ArgumentException(
                "A single neuron cannot use Softmax: softmax normalises across several outputs, so one neuron's softmax " +
                "is always 1. Use BinaryStep, Sigmoid, Tanh or ReLU, and apply Activation.Softmax to a layer's outputs.",
                nameof(activation));
        }
        return TorchRuntime.EnsureInitialized(nameof(Neuron));
    }
}
