using System.Text;
using NeuralNet.Torch.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// PyTorch's <c>repr(tensor)</c> (<c>torch/_tensor_str.py</c>, default print options: precision 4, threshold 1000,
/// edgeitems 3, linewidth 80, automatic scientific mode), for dense tensors of real and bool dtypes.
/// </summary>
internal static class TensorText
{
    /// <summary>Tensors with more elements than this are summarised with <c>...</c>.</summary>
    public const int Threshold = 1000;

    /// <summary>Items shown at each end of a summarised dimension.</summary>
    public const int EdgeItems = 3;

    /// <summary>The line width data and suffixes are wrapped to.</summary>
    public const int LineWidth = 80;

    /// <summary>What stands in the <c>grad_fn=&lt;...&gt;</c> suffix when the function's name is not known.</summary>
    public const string UnknownGradFn = "?";

    private const string Prefix = "tensor(";

    /// <summary>The autograd suffix PyTorch would print for this tensor: <c>grad_fn=&lt;name&gt;</c> for a tensor
    /// made by a differentiable operation (<paramref name="gradFn"/>, or <see cref="UnknownGradFn"/> when null),
    /// <c>requires_grad=True</c> for a leaf that requires grad, else null.</summary>
    public static string? AutogradSuffix(Tensor tensor, string? gradFn)
    {
        var hasGradFn = tensor.requires_grad && !tensor.is_leaf;
        if (gradFn is not null)
        {
            if (string.IsNullOrWhiteSpace(gradFn))
            {
                throw new ArgumentException("The grad_fn name must not be empty; pass null when it is not known.", nameof(gradFn));
            }
            if (!hasGradFn)
            {
                throw new ArgumentException(
                    $"A grad_fn name ('{gradFn}') was given, but the tensor has no grad_fn: it " +
                    (tensor.requires_grad ? "is a leaf (PyTorch prints requires_grad=True for it)." : "does not require grad."),
                    nameof(gradFn));
            }
            return $"grad_fn=<{gradFn}>";
        }
        if (hasGradFn)
        {
            return $"grad_fn=<{UnknownGradFn}>";
        }
        return tensor.requires_grad ? "requires_grad=True" : null;
    }

    /// <summary>The full text.</summary>
    /// <param name="tensor">The tensor; not changed or disposed.</param>
    /// <param name="autogradSuffix">The autograd suffix to print (see <see cref="AutogradSuffix"/>), or null.</param>
    /// <param name="deviceText">Overrides the device shown (tests use <c>cuda:0</c> on CPU-only machines); null
    /// shows the tensor's own device when it is not the CPU.</param>
    public static string Format(Tensor tensor, string? autogradSuffix, string? deviceText = null)
    {
        TorchRuntime.EnsureInitialized();
        var dtype = tensor.dtype;
        var dtypeName = DTypeName(dtype) ?? throw new NotSupportedException(
            $"Printing tensors of dtype {dtype} is not supported (real, integer and bool dtypes are).");
        if (tensor.is_sparse)
        {
            throw new NotSupportedException("Printing sparse tensors is not supported; call to_dense() first.");
        }

        var suffixes = new List<string>();
        deviceText ??= DeviceText(tensor);
        if (deviceText is not null)
        {
            suffixes.Add($"device='{deviceText}'");
        }
        var defaultDtype = get_default_dtype();
        var shape = tensor.shape;
        string body;
        if (tensor.device_type == DeviceType.META)
        {
            suffixes.Add("size=" + PythonFormat.Tuple(shape));
            if (dtype != defaultDtype)
            {
                suffixes.Add("dtype=" + dtypeName);
            }
            body = "...";
        }
        else if (tensor.numel() == 0)
        {
            // NumPy-like: the shape is printed unless it is (0,); the dtype is printed unless it is the default
            // float dtype, even for int64, since no element shows it.
            if (shape.Length != 1)
            {
                suffixes.Add("size=" + PythonFormat.Tuple(shape));
            }
            if (dtype != defaultDtype)
            {
                suffixes.Add("dtype=" + dtypeName);
            }
            body = "[]";
        }
        else
        {
            var hasDefaultDtype = dtype == defaultDtype || dtype == ScalarType.Int64 || dtype == ScalarType.Bool;
            if (!hasDefaultDtype)
            {
                suffixes.Add("dtype=" + dtypeName);
            }
            body = Body(tensor, Prefix.Length);
        }
        if (autogradSuffix is not null)
        {
            suffixes.Add(autogradSuffix);
        }

        var text = AddSuffixes(Prefix + body, suffixes, Prefix.Length);
        return tensor is Parameter ? "Parameter containing:\n" + text : text;
    }

    /// <summary>PyTorch's <c>str(dtype)</c>, or null for dtypes this printer does not handle.</summary>
    public static string? DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte => "torch.uint8",
        ScalarType.Int8 => "torch.int8",
        ScalarType.Int16 => "torch.int16",
        ScalarType.Int32 => "torch.int32",
        ScalarType.Int64 => "torch.int64",
        ScalarType.Float16 => "torch.float16",
        ScalarType.Float32 => "torch.float32",
        ScalarType.Float64 => "torch.float64",
        ScalarType.BFloat16 => "torch.bfloat16",
        ScalarType.Bool => "torch.bool",
        _ => null,
    };

    /// <summary>PyTorch's <c>str(tensor.device)</c> for a tensor not on the CPU (<c>cuda:0</c>, <c>meta</c>), else null.</summary>
    private static string? DeviceText(Tensor tensor)
    {
        var type = tensor.device_type;
        if (type == DeviceType.CPU)
        {
            return null;
        }
        var index = tensor.device_index;
        var name = type.ToString().ToLowerInvariant();
        return index >= 0 ? $"{name}:{index}" : name;
    }

    /// <summary>The bracketed data, <c>_tensor_str(self, indent)</c>.</summary>
    private static string Body(Tensor tensor, int indent)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var data = tensor.detach();
        var summarize = data.numel() > Threshold;
        var elided = new bool[data.ndim];
        if (summarize)
        {
            // get_summarized_data: keep the first and last EdgeItems along every dimension longer than 2 * EdgeItems.
            for (var d = 0; d < elided.Length; d++)
            {
                var size = data.shape[d];
                if (size > 2 * EdgeItems)
                {
                    elided[d] = true;
                    var keep = torch.tensor(new long[] { 0, 1, 2, size - 3, size - 2, size - 1 }, device: data.device);
                    data = data.index_select(d, keep);
                }
            }
        }
        if (data.device_type != DeviceType.CPU)
        {
            data = data.cpu();
        }
        data = data.contiguous();

        string[] cells;
        int width;
        if (data.is_floating_point())
        {
            double[] values;
            using (var accessor = data.to_type(ScalarType.Float64).data<double>())
            {
                values = accessor.ToArray();
            }
            var formatter = ElementFormatter.ForFloating(values);
            cells = Array.ConvertAll(values, formatter.Format);
            width = formatter.Width;
        }
        else
        {
            string[] texts;
            if (data.dtype == ScalarType.Bool)
            {
                using var accessor = data.data<bool>();
                texts = Array.ConvertAll(accessor.ToArray(), PythonFormat.Repr);
            }
            else
            {
                using var accessor = data.to_type(ScalarType.Int64).data<long>();
                texts = Array.ConvertAll(accessor.ToArray(), PythonFormat.Repr);
            }
            var formatter = ElementFormatter.ForTexts(texts);
            cells = Array.ConvertAll(texts, formatter.Format);
            width = formatter.Width;
        }
        return data.ndim == 0
            ? cells[0]
            : Render(cells, data.shape, elided, width, level: 0, offset: 0, indent);
    }

    /// <summary><c>_tensor_str_with_formatter</c> / <c>_vector_str</c> on the (summarised) cells, row-major.</summary>
    private static string Render(string[] cells, long[] shape, bool[] elided, int width, int level, long offset, int indent)
    {
        var remaining = shape.Length - level;
        var count = shape[level];
        var stride = 1L;
        for (var d = level + 1; d < shape.Length; d++)
        {
            stride *= shape[d];
        }

        var items = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (elided[level] && i == EdgeItems)
            {
                items.Add(remaining == 1 ? " ..." : "...");
            }
            items.Add(remaining == 1
                ? cells[offset + i]
                : Render(cells, shape, elided, width, level + 1, offset + (i * stride), indent + 1));
        }

        if (remaining == 1)
        {
            // Each element takes its width plus ", "; the row is cut into lines of that many elements.
            var perLine = Math.Max(1, (int)Math.Floor((double)(LineWidth - indent) / (width + 2)));
            var lines = items.Chunk(perLine).Select(chunk => string.Join(", ", chunk));
            return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
        }
        return "[" + string.Join("," + new string('\n', remaining - 1) + new string(' ', indent + 1), items) + "]";
    }

    /// <summary><c>_add_suffixes</c>: each suffix goes after <c>", "</c> on the last line, or on a new line
    /// indented to the data when the line would pass the line width.</summary>
    private static string AddSuffixes(string text, IReadOnlyList<string> suffixes, int indent)
    {
        var builder = new StringBuilder(text);
        // As in PyTorch, this is the last line's length plus 2.
        var lastLineLength = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                builder.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                builder.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }
        return builder.Append(')').ToString();
    }
}
