using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>Settings of <see cref="Trainer"/>; the defaults are the PyTorch quickstart's: batch 64, SGD with
/// learning rate 1e-3, cross-entropy loss, 5 epochs, unshuffled data, a loss line every 100 batches, no scheduler,
/// no gradient clipping, no checkpoints.</summary>
/// <example>Adam, a cosine schedule, clipping and checkpoints:
/// <code>
/// var options = new TrainingOptions
/// {
///     Epochs = 10,
///     Optimizer = p => torch.optim.Adam(p, lr: 1e-3),            // or AdamW(p, 1e-3, weight_decay: 0.01),
///                                                                // SGD(p, 0.01, momentum: 0.9, weight_decay: 5e-4)
///     Schedule = LearningRateSchedule.CosineAnnealingLR(tMax: 10),
///     MaxGradientNorm = 1.0,
///     CheckpointDirectory = "checkpoints",
/// };
/// </code></example>
public sealed record TrainingOptions
{
    /// <summary>The quickstart's settings, writing nothing.</summary>
    public static TrainingOptions Quickstart { get; } = new();

    /// <summary>Passes over the training data (<c>epochs = 5</c>). At least 1.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Samples per batch for both loops (<c>batch_size = 64</c>). At least 1.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The default optimizer's learning rate (<c>learning_rate = 1e-3</c>). Positive and finite. Unused when
    /// <see cref="Optimizer"/> is set (the factory passes its own rate).</summary>
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

    /// <summary>The loss, <c>(predictions [B, ...], labels [B, ...]) =&gt; scalar</c>; null means
    /// <c>nn.CrossEntropyLoss()</c> (mean over the batch). Any TorchSharp loss module fits as its <c>call</c>
    /// method: <c>LossFunction = nn.MSELoss().call</c>.</summary>
    public Func<Tensor, Tensor, Tensor>? LossFunction { get; init; }

    /// <summary>Builds the optimizer of <see cref="Trainer.Fit"/> over the model's parameters, e.g.
    /// <c>p =&gt; torch.optim.Adam(p, 1e-3)</c>; null means the quickstart's <c>torch.optim.SGD(p, LearningRate)</c>.
    /// <see cref="Trainer.Fit"/> disposes what it returns. With <see cref="CheckpointDirectory"/> it must be one of
    /// TorchSharp's own optimizers (their state can be saved).</summary>
    public Func<IEnumerable<Parameter>, optim.Optimizer>? Optimizer { get; init; }

    /// <summary>A learning-rate scheduler <see cref="Trainer.Fit"/> steps after each epoch or each batch (see
    /// <see cref="LearningRateSchedule.Interval"/>); null keeps the rate constant.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Clip the gradients' total 2-norm to this value after each backward pass
    /// (<c>torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)</c>); null does not clip. Positive and finite.</summary>
    public double? MaxGradientNorm { get; init; }

    /// <summary>A folder where <see cref="Trainer.Fit"/> saves, after every epoch, the model's state_dict (a PyTorch
    /// <c>.pth</c> file) and the optimizer, scheduler, random-generator and epoch state, each file atomically; null
    /// saves nothing. Created if missing. See <see cref="TrainingCheckpoint"/> for the files, and the <c>resume</c>
    /// argument of <see cref="Trainer.Fit"/>.</summary>
    public string? CheckpointDirectory { get; init; }
}
