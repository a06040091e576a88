using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/activation.py</c>: the activations' <c>extra_repr</c>. <c>inplace=True</c> is printed
/// only where PyTorch's module has the option; TorchSharp's extra <c>inplace</c> on Sigmoid, Tanh, Softsign,
/// Tanhshrink, Hardsigmoid, Hardswish and GELU is not printed, as PyTorch has or prints none.</summary>
internal static class ActivationText
{
    public static void AddTo(LayerTextTable table)
    {
        table.AddNoSettings(
            typeof(Sigmoid), typeof(Tanh), typeof(Hardsigmoid), typeof(Hardswish), typeof(LogSigmoid), typeof(Softsign),
            typeof(Tanhshrink), typeof(Softmax2d));
        table.Add<ReLU>(m => Inplace(m.inplace));
        table.Add<ReLU6>(m => Inplace(m.inplace));
        table.Add<SELU>(m => Inplace(m.inplace));
        table.Add<SiLU>(m => Inplace(m.inplace));
        table.Add<Mish>(m => Inplace(m.inplace));
        table.Add<LeakyReLU>(m => $"negative_slope={F(m.negative_slope)}{AndInplace(m.inplace)}");
        table.Add<ELU>(m => $"alpha={F(m.alpha)}{AndInplace(m.inplace)}");
        table.Add<CELU>(m => $"alpha={F(m.alpha)}{AndInplace(m.inplace)}");
        table.Add<Threshold>(m => $"threshold={F(m.threshold)}, value={F(m.value)}{AndInplace(m.inplace)}");
        table.Add<RReLU>(m => $"lower={F(m.lower)}, upper={F(m.upper)}{AndInplace(m.inplace)}");
        table.Add<Hardtanh>(m => $"min_val={F(m.min_val)}, max_val={F(m.max_val)}{AndInplace(m.inplace)}");
        table.Add<GELU>(m => $"approximate='{m.approximate}'");
        table.Add<GLU>(m => $"dim={m.dim}");
        table.Add<Hardshrink>(m => F(m.lambda));
        table.Add<Softshrink>(m => F(m.lambda));
        table.Add<Softplus>(m => $"beta={F(m.beta)}, threshold={F(m.threshold)}");
        table.Add<PReLU>(m => $"num_parameters={m.num_parameters}");
        table.Add<Softmax>(m => $"dim={m.dim}");
        table.Add<LogSoftmax>(m => $"dim={m.dim}");
        table.Add<Softmin>(m => $"dim={m.dim}");
    }

    private static string F(double value) => PythonFormat.SettingRepr(value);

    private static string Inplace(bool inplace) => inplace ? "inplace=True" : "";

    private static string AndInplace(bool inplace) => inplace ? ", inplace=True" : "";
}
