using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>SequenceClassifier</c>: token ids <c>[N, T]</c> (int64, 0..99) -> Embedding(100, 8) -> GRU
/// or LSTM(8, 16, 2 layers, batch_first, bidirectional) -> the output at the last step <c>[N, 32]</c> -> Linear(32, 4).</summary>
public sealed class SequenceClassifier : Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly nn.Module rnn;
    private readonly Linear fc;

    public SequenceClassifier(bool lstm) : base(TorchRuntime.EnsureInitialized(nameof(SequenceClassifier)))
    {
        embedding = Embedding(100, 8);
        rnn = lstm
            ? LSTM(8, 16, numLayers: 2, batchFirst: true, bidirectional: true)
            : GRU(8, 16, numLayers: 2, batchFirst: true, bidirectional: true);
        fc = Linear(32, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var embedded = embedding.call(x);
        var output = rnn is LSTM lstm ? lstm.call(embedded).Item1 : ((GRU)rnn).call(embedded).Item1;
        return fc.call(output.select(1, -1)).MoveToOuterDisposeScope();
    }
}
