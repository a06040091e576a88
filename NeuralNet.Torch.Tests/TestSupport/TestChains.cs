using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>MLP chains of any widths as plain TorchSharp Sequentials, for the packed path's structure tests.</summary>
internal static class TestChains
{
    /// <summary><c>[Flatten] Linear(w0, w1) ReLU Linear(w1, w2) ... Linear(w[^2], w[^1]) [ReLU]</c>, weights from
    /// <c>torch.manual_seed(seed)</c>.</summary>
    public static Sequential Build(int[] widths, bool flatten = true, bool finalRelu = false, bool bias = true, int seed = 3)
    {
        manual_seed(seed);
        var modules = new List<nn.Module<Tensor, Tensor>>();
        if (flatten)
        {
            modules.Add(nn.Flatten());
        }
        for (var l = 0; l + 1 < widths.Length; l++)
        {
            modules.Add(nn.Linear(widths[l], widths[l + 1], hasBias: bias));
            if (l + 2 < widths.Length || finalRelu)
            {
                modules.Add(nn.ReLU());
            }
        }
        return nn.Sequential(modules);
    }

    /// <summary>A batch of <paramref name="n"/> samples of <paramref name="width"/> values, normal (negative values
    /// reach every ReLU) with about half of them exactly zero (the zero-skipping of the single-sample path).</summary>
    public static Tensor Input(int n, int width, int seed = 5)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        var x = randn(n, width);
        using var mask = rand(n, width).lt(0.5);
        return x.masked_fill_(mask, 0f);
    }
}
