using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;
using BinaryStepModule = NeuralNet.Torch.Activations.BinaryStep;

namespace NeuralNet.Torch.Activations;

/// <summary>
/// The activation functions as functions on tensors, and the one way to pick an activation module by
/// <see cref="ActivationKind"/> or by name (<see cref="Create"/>, <see cref="Parse"/>).
/// </summary>
/// <remarks>
/// <para>libtorch computes every function, element-wise, on the input's device; nothing loops over elements in C#.
/// Each function returns a new tensor that the caller owns (and must dispose); the input is never changed or disposed,
/// and every intermediate tensor is disposed before the function returns.</para>
/// <para>Every function keeps the input's shape. Each function's remarks state what it does with NaN and infinities
/// and what gradient autograd gives it.</para>
/// </remarks>
public static class Activation
{
    private static readonly string ValidNames = string.Join(", ", Enum.GetNames<ActivationKind>());

    /// <summary>The seed document's binary step: 0 for x &lt; 0, 1 for x &gt;= 0 (so f(0) = 1).</summary>
    /// <param name="input">Any shape; a floating-point or integer dtype.</param>
    /// <returns>A tensor of the input's shape, dtype and device holding 0 and 1.</returns>
    /// <remarks>
    /// <para>NaN in gives NaN out (the step does not decide for a value that is not a number). -0.0 gives 1, +∞ gives
    /// 1, -∞ gives 0.</para>
    /// <para>Gradient: zero everywhere. The true derivative is 0 for every x ≠ 0 and does not exist at 0; autograd
    /// gives 0 there too (and at NaN), as PyTorch does for <c>torch.sign</c>. The result requires grad whenever the
    /// input does, so <c>backward()</c> runs through it, but nothing upstream of a binary step learns from it.</para>
    /// <para>Unlike <c>torch.heaviside(x, 1)</c>, which gives 0 for NaN and has no derivative (its backward throws),
    /// this keeps NaN and supports backward.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is bool or complex (the step needs ordered numbers).</exception>
    public static Tensor BinaryStep(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dtype == ScalarType.Bool || input.is_complex())
        {
            throw new ArgumentException(
                $"Expected a floating-point or integer tensor for the binary step; found dtype {input.dtype}.", nameof(input));
        }
        using var scope = NewDisposeScope();
        // x >= 0 is false for NaN; where() puts NaN back. input * 0 is NaN exactly where input is NaN, and its
        // gradient is 0, so the result stays in the autograd graph with a zero gradient everywhere.
        var step = input.ge(0).to_type(input.dtype);
        var result = where(input.isnan(), input.mul(0), step);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The logistic sigmoid, 1 / (1 + e^-x), computed by libtorch (<c>torch.sigmoid</c>).</summary>
    /// <param name="input">Any shape. Integer inputs give the default floating-point dtype (libtorch's promotion).</param>
    /// <returns>Values in [0, 1], same shape and device as the input.</returns>
    /// <remarks>
    /// <para>NaN in gives NaN out. It saturates without NaN: +∞ gives 1, -∞ gives 0, and in float32 the result is
    /// exactly 1 from about x = 17, and below 1e-38 from about x = -88 (libtorch's CPU kernel gives exactly 0 once
    /// e^-x overflows), for example at ±100 and ±1e4.</para>
    /// <para>Gradient: σ(x)(1 - σ(x)): 0.25 at 0, 0 where the result saturates, NaN at NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    public static Tensor Sigmoid(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return sigmoid(input);
    }

    /// <summary>The hyperbolic tangent, (e^x - e^-x) / (e^x + e^-x), computed by libtorch (<c>torch.tanh</c>).</summary>
    /// <param name="input">Any shape. Integer inputs give the default floating-point dtype (libtorch's promotion).</param>
    /// <returns>Values in [-1, 1], same shape and device as the input.</returns>
    /// <remarks>
    /// <para>NaN in gives NaN out; ±∞ gives ±1; in float32 the result is exactly ±1 from about |x| = 9 (so at ±20).</para>
    /// <para>Gradient: 1 - tanh²(x): 1 at 0, 0 where the result saturates, NaN at NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    public static Tensor Tanh(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return tanh(input);
    }

    /// <summary>The rectified linear unit: 0 for x &lt; 0, x otherwise, computed by libtorch (<c>torch.relu</c>).</summary>
    /// <param name="input">Any shape; integer dtypes stay integer.</param>
    /// <returns>A tensor of the input's shape, dtype and device.</returns>
    /// <remarks>
    /// <para>NaN in gives NaN out (libtorch's relu propagates NaN; it is not <c>max(0, x)</c> with NaN dropped).
    /// +∞ gives +∞, -∞ gives 0, and -0.0 gives -0.0 (x itself, as the formula says for x &gt;= 0).</para>
    /// <para>Gradient: 1 for x &gt; 0, 0 for x &lt; 0, and 0 at x = 0 where the derivative does not exist (libtorch's
    /// choice). At NaN, libtorch passes the incoming gradient through unchanged (1).</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    public static Tensor ReLU(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return nn.functional.relu(input);
    }

    /// <summary>Softmax along <paramref name="dim"/>: e^x_i / sum_j e^x_j, computed by libtorch
    /// (<c>torch.nn.functional.softmax</c>).</summary>
    /// <param name="input">Any shape; a floating-point dtype. The document applies it to logits <c>[N, C]</c> with
    /// <c>dim = 1</c>.</param>
    /// <param name="dim">The dimension that sums to 1; negative values count from the end (-1 is the last).</param>
    /// <returns>Probabilities of the input's shape, dtype and device; each slice along <paramref name="dim"/> sums to
    /// 1 within the dtype's rounding.</returns>
    /// <remarks>
    /// <para>Numerically stable: libtorch subtracts each slice's maximum first, so large logits do not overflow
    /// (<c>[1000, 1000]</c> gives <c>[0.5, 0.5]</c>).</para>
    /// <para>NaN or +∞ anywhere in a slice makes that whole slice NaN. -∞ gives probability 0, and a slice that is
    /// all -∞ gives NaN.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not floating point.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not a dimension of
    /// <paramref name="input"/>.</exception>
    public static Tensor Softmax(Tensor input, long dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.is_floating_point())
        {
            throw new ArgumentException(
                $"Expected a floating-point tensor for softmax; found dtype {input.dtype}. Convert first, e.g. " +
                "input.to_type(ScalarType.Float32).", nameof(input));
        }
        var rank = Math.Max(input.dim(), 1);
        if (dim < -rank || dim >= rank)
        {
            throw new ArgumentOutOfRangeException(
                nameof(dim), dim, $"Expected a dimension in [{-rank}, {rank - 1}] for a tensor of shape {ShapeText.Of(input.shape)}.");
        }
        return nn.functional.softmax(input, dim);
    }

    /// <summary>Creates the module for an activation: the one way to pick an activation from settings.</summary>
    /// <param name="kind">Which activation.</param>
    /// <param name="softmaxDim">The dimension <see cref="ActivationKind.Softmax"/> normalises; ignored by the other
    /// kinds. The default, -1, is the last dimension (the class dimension of <c>[N, C]</c> logits).</param>
    /// <returns>A new module that the caller owns: <see cref="Activations.BinaryStep"/>, or TorchSharp's own
    /// <c>torch.nn.Sigmoid()</c>, <c>Tanh()</c>, <c>ReLU()</c> or <c>Softmax(softmaxDim)</c>, so they print and
    /// behave as PyTorch's modules do. None has parameters.</returns>
    /// <remarks>Each module's forward computes the same values as the function of the same name in this class
    /// (the TorchSharp modules do not repeat this class's argument checks; libtorch checks instead).</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public static nn.Module<Tensor, Tensor> Create(ActivationKind kind, long softmaxDim = -1)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Expected one of {ValidNames}.");
        }
        TorchRuntime.EnsureInitialized();
        return kind switch
        {
            ActivationKind.BinaryStep => new BinaryStepModule(),
            ActivationKind.Sigmoid => nn.Sigmoid(),
            ActivationKind.Tanh => nn.Tanh(),
            ActivationKind.ReLU => nn.ReLU(),
            _ => nn.Softmax(softmaxDim),
        };
    }

    /// <summary>Reads an activation's name, as settings files write it.</summary>
    /// <param name="name">An <see cref="ActivationKind"/> name, case-insensitive; <c>_</c>, <c>-</c> and spaces are
    /// ignored, so <c>relu</c>, <c>ReLU</c>, <c>binary_step</c> and <c>Binary-Step</c> are all accepted. Numbers are not.</param>
    /// <returns>The kind.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> names no activation; the message lists the valid names.</exception>
    public static ActivationKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (TryParse(name, out var kind))
        {
            return kind;
        }
        throw new ArgumentException(
            $"Unknown activation '{name}'. Valid names (case-insensitive; '_', '-' and spaces ignored): {ValidNames}.",
            nameof(name));
    }

    /// <summary>Reads an activation's name as <see cref="Parse"/> does, without throwing.</summary>
    /// <param name="name">The name; null gives false.</param>
    /// <param name="kind">The kind when the result is true; <see cref="ActivationKind.BinaryStep"/> otherwise.</param>
    /// <returns>True when <paramref name="name"/> names an activation.</returns>
    public static bool TryParse(string? name, out ActivationKind kind)
    {
        kind = default;
        if (name is null)
        {
            return false;
        }
        var key = string.Concat(name.Where(c => c is not ('_' or '-') && !char.IsWhiteSpace(c)));
        foreach (var candidate in Enum.GetValues<ActivationKind>())
        {
            if (string.Equals(candidate.ToString(), key, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }
        return false;
    }
}
