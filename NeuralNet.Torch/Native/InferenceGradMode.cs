using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Native;

/// <summary>The grad mode of the library's own inference passes (prediction, evaluation): <c>no_grad</c>, except for
/// a module that contains an LSTM.</summary>
/// <remarks>With grad mode off, libtorch 2.10's CPU LSTM takes another kernel, and through TorchSharp 0.107 that
/// kernel's outputs are wrong (0.1 to 0.3 off torch's on the same weights and input; GRU is not affected). With grad
/// mode on it computes torch's values; it records a graph only where the parameters require grad, and the library's
/// passes dispose everything they make, graph included.</remarks>
internal static class InferenceGradMode
{
    /// <summary><c>no_grad()</c>, or <c>enable_grad()</c> when <paramref name="model"/> contains an LSTM.</summary>
    public static IDisposable For(nn.Module model) => ContainsLstm(model) ? enable_grad() : no_grad();

    private static bool ContainsLstm(nn.Module module)
    {
        if (module is LSTM)
        {
            return true;
        }
        foreach (var (_, child) in module.named_children())
        {
            if (ContainsLstm(child))
            {
                return true;
            }
        }
        return false;
    }
}
