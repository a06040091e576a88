using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>summary.py's <c>AuxBranchNet</c>, Inception v3's pattern in small: an auxiliary head <c>aux</c> that runs
/// only in training, and a registered layer <c>spare</c> that forward never uses. Input <c>[N, 1, 8, 8]</c>, output
/// <c>[N, 10]</c>.</summary>
internal sealed class AuxBranchNet : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch-style field names are the module keys
    private readonly Sequential features;
    private readonly Sequential aux;
    private readonly Flatten flatten;
    private readonly Linear fc;
    private readonly Linear spare;
#pragma warning restore IDE1006

    public AuxBranchNet()
        : base(nameof(AuxBranchNet))
    {
        features = Sequential(Conv2d(1, 4, 3), ReLU(), MaxPool2d(2));
        aux = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(4, 10));
        flatten = Flatten();
        fc = Linear(4 * 3 * 3, 10);
        spare = Linear(10, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = features.call(x);
        var logits = fc.call(flatten.call(h));
        if (training)
        {
            logits = logits + aux.call(h);
        }
        return logits.MoveToOuterDisposeScope();
    }
}
