using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>Settings of <see cref="Trainer"/>; the defaults are the PyTorch quickstart's: batch 64, SGD with
/// learning rate 1e-3, cross-entropy loss, 5 epochs, unshuffled data, a loss line every 100 batches.</summary>
public sealed record TrainingOptions
{
    /// <summary>The quickstart's settings, writing nothing.</summary>
    public static TrainingOptions Quickstart { get; } = new();

    /// <summary>Passes over the training data (<c>epochs = 5</c>). At least 1.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Samples per batch for both loops (<c>batch_size = 64</c>). At least 1.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>SGD's learning rate (<c>learning_rate = 1e-3</c>). Positive and finite.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Shuffle the training data each epoch (the quickstart does not).</summary>
    public bool Shuffle { get; init; }

    /// <summary>Seed of the training shuffle; null uses libtorch's global generator (see <c>torch.manual_seed</c>).</summary>
    public long? ShuffleSeed { get; init; }

    /// <summary>Write a <c>loss:</c> line every this many batches, from batch 0 (<c>batch % 100 == 0</c>). At least 1.</summary>
    public int LogInterval { get; init; } = 100;

    /// <summary>Where the quickstart's lines go (<c>Epoch N</c>, <c>loss: ...</c>, <c>Test Error:</c>,
    /// <c>Done!</c>); null writes nothing.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>Receives a report after every batch of both loops, synchronously on the training thread; null
    /// reports nothing. Reading each batch's loss for it costs one device synchronisation per batch.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>The loss, <c>(logits [B, classes], labels [B]) =&gt; scalar</c>; null means
    /// <c>nn.CrossEntropyLoss()</c> (mean over the batch).</summary>
    public Func<Tensor, Tensor, Tensor>? LossFunction { get; init; }
}
