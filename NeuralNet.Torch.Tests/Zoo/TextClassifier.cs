using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>TextClassifier</c>: token ids <c>[N, T]</c> (int64, 0..99) -> Embedding(100, 16) ->
/// GRU(16, 32, batch_first) -> the last layer's final hidden state -> Linear(32, 4): logits <c>[N, 4]</c>.</summary>
public sealed class TextClassifier : Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly GRU gru;
    private readonly Linear fc;

    public TextClassifier() : base(TorchRuntime.EnsureInitialized(nameof(TextClassifier)))
    {
        embedding = Embedding(100, 16);
        gru = GRU(16, 32, batchFirst: true);
        fc = Linear(32, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (_, h) = gru.call(embedding.call(x));
        return fc.call(h.select(0, -1)).MoveToOuterDisposeScope();
    }
}
