using NeuralNet.Torch.Native;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Activations;

/// <summary>
/// The seed document's binary step activation as a module: 0 for x &lt; 0, 1 for x &gt;= 0 (so f(0) = 1).
/// PyTorch has no such module; PyTorch-style printers show it as <c>BinaryStep()</c>.
/// </summary>
/// <remarks>
/// <para>Input: any shape, floating-point or integer. Output: the same shape, dtype and device, holding 0 and 1.</para>
/// <para>NaN in gives NaN out. The gradient is zero everywhere (at 0 and at NaN too), so backward runs through it but
/// nothing before it learns. See <see cref="Activation.BinaryStep"/>, which this module calls.</para>
/// <para>It has no parameters or buffers. Constructing it is a valid first TorchSharp call of a program.</para>
/// </remarks>
public sealed class BinaryStep : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public BinaryStep()
        : base(TorchRuntime.EnsureInitialized(nameof(BinaryStep)))
    {
    }

    /// <summary>Applies the binary step element-wise.</summary>
    /// <param name="input">Any shape; floating-point or integer.</param>
    /// <returns>A new tensor of 0 and 1 (NaN where the input is NaN); the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is bool or complex.</exception>
    public override Tensor forward(Tensor input) => Activation.BinaryStep(input);
}
