using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/pooling.py</c>. PyTorch prints most pooling settings as the user wrote them
/// (<c>kernel_size=2</c> or <c>(2, 3)</c>); TorchSharp keeps arrays, so they print as the int when all elements are
/// equal and as the tuple otherwise (<see cref="PythonFormat.IntOrTuple"/>). AvgPool1d and MaxUnpool store tuples in
/// PyTorch, so they always print tuples. An unset stride is the kernel size, as in PyTorch.</summary>
internal static class PoolingText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<MaxPool1d>(m => MaxPool(
            PythonFormat.Repr(m.kernel_size), PythonFormat.Repr(m.stride ?? m.kernel_size), PythonFormat.Repr(m.padding ?? 0),
            PythonFormat.Repr(m.dilation ?? 1), m.ceil_mode));
        table.Add<MaxPool2d>(m => MaxPool(m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode));
        table.Add<MaxPool3d>(m => MaxPool(m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode));

        table.Add<AvgPool1d>(m => AvgPool(
            PythonFormat.Tuple([m.kernel_size]), PythonFormat.Tuple([m.stride ?? m.kernel_size]), PythonFormat.Tuple([m.padding ?? 0])));
        table.Add<AvgPool2d>(m => AvgPool(m.kernel_size, m.stride, m.padding));
        table.Add<AvgPool3d>(m => AvgPool(m.kernel_size, m.stride, m.padding));

        table.Add<AdaptiveAvgPool1d>(m => $"output_size={PythonFormat.Repr(m.output_size)}");
        table.Add<AdaptiveAvgPool2d>(m => $"output_size={PythonFormat.IntOrTuple(m.output_size)}");
        table.Add<AdaptiveAvgPool3d>(m => $"output_size={PythonFormat.IntOrTuple(m.output_size)}");
        table.Add<AdaptiveMaxPool1d>(m => $"output_size={PythonFormat.Repr(m.output_size)}");
        table.Add<AdaptiveMaxPool2d>(m => $"output_size={PythonFormat.IntOrTuple(m.output_size)}");
        // TorchSharp 0.107's AdaptiveMaxPool3d constructor does not store output_size: unset means unknown.
        table.Add<AdaptiveMaxPool3d>(m => $"output_size={PythonFormat.IntOrTuple(m.output_size ?? throw new NotSupportedException(
            "its output_size is not set (TorchSharp 0.107's AdaptiveMaxPool3d constructor does not keep it; set the module's output_size)."))}");

        table.Add<LPPool1d>(m => LpPool(m.norm_type, PythonFormat.Repr(m.kernel_size), m.stride is { } s ? PythonFormat.Repr(s) : "None", m.ceil_mode));
        table.Add<LPPool2d>(m => LpPool(m.norm_type, PythonFormat.IntOrTuple(m.kernel_size), m.stride is { } s ? PythonFormat.IntOrTuple(s) : "None", m.ceil_mode));

        // PyTorch's FractionalMaxPool has no extra_repr.
        table.AddNoSettings(typeof(FractionalMaxPool2d), typeof(FractionalMaxPool3d));

        table.Add<MaxUnpool1d>(m => Unpool([m.kernel_size], [m.stride ?? m.kernel_size], [m.padding ?? 0]));
        table.Add<MaxUnpool2d>(m => Unpool(m.kernel_size, m.stride ?? m.kernel_size, m.padding ?? Zeros(m.kernel_size)));
        table.Add<MaxUnpool3d>(m => Unpool(m.kernel_size, m.stride ?? m.kernel_size, m.padding ?? Zeros(m.kernel_size)));
    }

    private static string MaxPool(long[] kernel, long[]? stride, long[]? padding, long[]? dilation, bool ceilMode) => MaxPool(
        PythonFormat.IntOrTuple(kernel), PythonFormat.IntOrTuple(stride ?? kernel), padding is null ? "0" : PythonFormat.IntOrTuple(padding),
        dilation is null ? "1" : PythonFormat.IntOrTuple(dilation), ceilMode);

    private static string MaxPool(string kernel, string stride, string padding, string dilation, bool ceilMode) =>
        $"kernel_size={kernel}, stride={stride}, padding={padding}, dilation={dilation}, ceil_mode={PythonFormat.Repr(ceilMode)}";

    private static string AvgPool(long[] kernel, long[]? stride, long[]? padding) => AvgPool(
        PythonFormat.IntOrTuple(kernel), PythonFormat.IntOrTuple(stride ?? kernel), padding is null ? "0" : PythonFormat.IntOrTuple(padding));

    private static string AvgPool(string kernel, string stride, string padding) => $"kernel_size={kernel}, stride={stride}, padding={padding}";

    private static string LpPool(double normType, string kernel, string stride, bool ceilMode) =>
        $"norm_type={PythonFormat.SettingRepr(normType)}, kernel_size={kernel}, stride={stride}, ceil_mode={PythonFormat.Repr(ceilMode)}";

    private static string Unpool(long[] kernel, long[] stride, long[] padding) =>
        $"kernel_size={PythonFormat.Tuple(kernel)}, stride={PythonFormat.Tuple(stride)}, padding={PythonFormat.Tuple(padding)}";

    private static long[] Zeros(long[] like) => new long[like.Length];
}
