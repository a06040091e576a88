using NeuralNet.Torch.Native;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// The document's "model parameters" section for any model: the model's structure and, per parameter, its name, size
/// and first two rows, printed exactly as PyTorch prints them.
/// </summary>
/// <remarks>
/// <para>The document runs <c>print("Model structure: ", model, "\n\n")</c> and then, for each
/// <c>named_parameters()</c> entry, <c>print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")</c>.
/// <see cref="ToString"/> returns that standard output exactly.</para>
/// <para><c>param[:2]</c> is printed as PyTorch prints it with grad mode on: for a parameter that requires grad it
/// ends in <c>grad_fn=&lt;SliceBackward0&gt;</c> (the slice is a view made by this report, so the name is known);
/// otherwise it has no autograd suffix. A 0-dim parameter, for which PyTorch's <c>param[:2]</c> would raise, shows
/// its value (with <c>requires_grad=True</c> when it requires grad).</para>
/// </remarks>
public sealed class ParameterReport
{
    private ParameterReport(string modelText, IReadOnlyList<ParameterEntry> parameters)
    {
        ModelText = modelText;
        Parameters = parameters;
    }

    /// <summary>PyTorch's <c>repr(model)</c>, as <see cref="PyTorchText.ToPyTorchString(nn.Module)"/> prints it.</summary>
    public string ModelText { get; }

    /// <summary>The parameters in <c>named_parameters()</c> order.</summary>
    public IReadOnlyList<ParameterEntry> Parameters { get; }

    /// <summary>The total number of parameter elements (669,706 for the document's model).</summary>
    public long TotalElements => Parameters.Sum(p => p.ElementCount);

    /// <summary>Describes a model's parameters.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="firstValueCount">How many values to put in each <see cref="ParameterEntry.FirstValues"/>.</param>
    /// <returns>The report. Every temporary tensor is disposed before it returns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstValueCount"/> is negative.</exception>
    /// <exception cref="NotSupportedException">A parameter has a dtype that cannot be printed (complex, quantized): the
    /// message names it; or a module's text cannot be known (see <see cref="PyTorchText.ToPyTorchString(nn.Module)"/>).</exception>
    public static ParameterReport Create(nn.Module model, int firstValueCount = 10) => Create(model, firstValueCount, deviceText: null);

    /// <summary>Like the public <see cref="Create(nn.Module, int)"/>, with the device shown in the values overridable
    /// (tests reproduce the official CUDA output on a CPU-only machine).</summary>
    internal static ParameterReport Create(nn.Module model, int firstValueCount, string? deviceText)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(firstValueCount);
        TorchRuntime.EnsureInitialized();
        var entries = new List<ParameterEntry>();
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                var detached = parameter.detach();
                var shape = parameter.shape;
                string valuesText;
                try
                {
                    valuesText = shape.Length == 0
                        ? TensorText.Format(detached, parameter.requires_grad ? "requires_grad=True" : null, deviceText)
                        : TensorText.Format(detached.narrow(0, 0, Math.Min(2, shape[0])), parameter.requires_grad ? "grad_fn=<SliceBackward0>" : null, deviceText);
                }
                catch (NotSupportedException e)
                {
                    throw new NotSupportedException($"Cannot print parameter '{name}': {e.Message}", e);
                }
                var count = (int)Math.Min(firstValueCount, detached.numel());
                double[] first;
                using (var accessor = detached.reshape(-1).narrow(0, 0, count).cpu().to_type(ScalarType.Float64).data<double>())
                {
                    first = accessor.ToArray();
                }
                entries.Add(new ParameterEntry(name, shape, parameter.numel(), parameter.requires_grad, first, valuesText));
            }
        }
        return new ParameterReport(model.ToPyTorchString(), entries);
    }

    /// <summary>The document's output: <c>Model structure:  {model} </c> followed by three line breaks, then each
    /// <see cref="ParameterEntry.ToDocumentLine"/> followed by two (so an empty line separates the entries).</summary>
    /// <returns>The text, exactly as Python's <c>print</c> writes it (two spaces after the colon because print puts a
    /// space between its arguments, and a space after the model's closing parenthesis).</returns>
    public override string ToString() =>
        $"Model structure:  {ModelText} \n\n\n" + string.Concat(Parameters.Select(p => p.ToDocumentLine() + "\n\n"));
}
