using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>Forward hooks on the module signatures TorchSharp's layers have: one input (most layers), two
/// (Bilinear, RNN and GRU cells), and the recurrent layers with a state argument and tuple outputs. A hook sees the
/// first input's shape and the (first) output's shape; it never replaces either.</summary>
internal static class LayerHooks
{
    /// <summary>Hooks <paramref name="module"/>; returns what removes the hooks, or null when its forward has none
    /// of these signatures (it is then not seen running).</summary>
    /// <param name="module">The module.</param>
    /// <param name="before">Called with the module and its first input's shape before it runs.</param>
    /// <param name="after">Called with the module, its first input's shape and its (first) output's shape.</param>
    public static Action? Register(nn.Module module, Action<nn.Module, long[]> before, Action<nn.Module, long[], long[]> after)
    {
        switch (module)
        {
            case nn.Module<Tensor, Tensor> one:
            {
                var pre = one.register_forward_pre_hook((m, x) => { before(m, x.shape); return null!; });
                var post = one.register_forward_hook((m, x, y) => { after(m, x.shape, y.shape); return y; });
                return () => { pre.remove(); post.remove(); };
            }
            case nn.Module<Tensor, Tensor, Tensor> two:
            {
                var pre = two.register_forward_pre_hook((m, x, _) => { before(m, x.shape); return null; });
                var post = two.register_forward_hook((m, x, _, y) => { after(m, x.shape, y.shape); return y; });
                return () => { pre.remove(); post.remove(); };
            }
            case nn.Module<Tensor, Tensor, (Tensor, Tensor)> recurrent:
            {
                var pre = recurrent.register_forward_pre_hook((m, x, _) => { before(m, x.shape); return null; });
                var post = recurrent.register_forward_hook((m, x, _, y) => { after(m, x.shape, y.Item1.shape); return y; });
                return () => { pre.remove(); post.remove(); };
            }
            case nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor)> lstmCell:
            {
                var pre = lstmCell.register_forward_pre_hook((m, x, _) => { before(m, x.shape); return null; });
                var post = lstmCell.register_forward_hook((m, x, _, y) => { after(m, x.shape, y.Item1.shape); return y; });
                return () => { pre.remove(); post.remove(); };
            }
            case nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor, Tensor)> lstm:
            {
                var pre = lstm.register_forward_pre_hook((m, x, _) => { before(m, x.shape); return null; });
                var post = lstm.register_forward_hook((m, x, _, y) => { after(m, x.shape, y.Item1.shape); return y; });
                return () => { pre.remove(); post.remove(); };
            }
            default:
                return null;
        }
    }
}
