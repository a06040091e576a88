using System.Diagnostics;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Native;
using NeuralNet.Torch.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>
/// The PyTorch quickstart's optimisation loop in C# for any model and any tensor data: <c>train_loop</c>
/// (<see cref="TrainEpoch"/>), <c>test_loop</c> (<see cref="Evaluate"/>) and the epoch loop around them
/// (<see cref="Fit"/>), printing the quickstart's lines and returning what they measured.
/// </summary>
/// <remarks>
/// <para>Works on any <c>Module&lt;Tensor, Tensor&gt;</c> and any <see cref="IDataset"/> whose inputs it takes:
/// images <c>[B, 1, 28, 28]</c> to logits <c>[B, classes]</c>, token ids <c>[B, T]</c>, feature rows. Batches are
/// moved to the device of the model's first parameter. With the default loss (cross-entropy) the labels are int64
/// class indices <c>[B]</c> (or float class probabilities shaped like the logits).</para>
/// <para>The training loop runs the model in train mode (BatchNorm updates its running statistics, Dropout drops),
/// the test loop in eval mode under <c>no_grad</c>; each restores the caller's mode when it ends.</para>
/// <para>Every batch runs in its own dispose scope: nothing a step allocates outlives it. Losses and the confusion
/// counts are summed on the device (losses in float64, in batch order, as Python sums <c>loss.item()</c>) and read once
/// per loop, except for the logged batches and, when a progress sink is set, every batch; a NaN or infinite training
/// loss is noticed at those reads (<see cref="NonFiniteLossException"/>).</para>
/// <para>With the same seeds (<c>torch.manual_seed</c> before building the model, <see cref="TrainingOptions.ShuffleSeed"/>)
/// a CPU run repeats its losses exactly. Not thread-safe: one loop per model at a time. Do not call from inside a
/// dispose scope you expect to keep the model's tensors in: the loops open their own.</para>
/// <para>Cancellation is checked before each batch; a cancelled run leaves the model as trained so far, and the files
/// of the last completed epoch in <see cref="TrainingOptions.CheckpointDirectory"/>.</para>
/// </remarks>
public static class Trainer
{
    /// <summary>Trains and tests for <see cref="TrainingOptions.Epochs"/> epochs, as the quickstart does:
    /// <c>Epoch {t}</c> and 31 dashes, the training loop, the test loop, and finally <c>Done!</c>; after each epoch
    /// it steps a per-epoch <see cref="TrainingOptions.Schedule"/> and writes the checkpoint files.</summary>
    /// <param name="model">The model, on the device to train on.</param>
    /// <param name="trainData">Training samples.</param>
    /// <param name="testData">Test samples.</param>
    /// <param name="options">Settings; null for the quickstart's.</param>
    /// <param name="resume">Continue after the last completed epoch saved in <see cref="TrainingOptions.CheckpointDirectory"/>:
    /// the model's weights, the optimizer's and scheduler's state, the shuffle and global CPU random generators and the
    /// earlier epochs' results are restored, and training starts at the next epoch (on the CPU it then ends
    /// bit-identical to an uninterrupted run). With no checkpoint there yet it starts at epoch 1; when the saved epoch
    /// is already <see cref="TrainingOptions.Epochs"/> or more, nothing is trained. The optimizer's state is restored
    /// as saved, its learning rate included, so resume with the options of the interrupted run (a schedule built from
    /// the number of epochs, such as <c>CosineAnnealingLR(epochs)</c>, is another schedule once that number changes).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>Per-epoch results, the restored epochs included.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A dataset is empty; an option is out of range; <paramref name="resume"/>
    /// without a checkpoint folder; checkpoints with an optimizer whose state cannot be saved; or the data does not
    /// fit the model or loss (a label outside <c>0 .. classes - 1</c>, a dtype the loss cannot take): the message
    /// names what was expected and found.</exception>
    /// <exception cref="ObjectDisposedException">A dataset was disposed.</exception>
    /// <exception cref="NonFiniteLossException">A training loss was NaN or infinite (the message names the epoch and
    /// batch); the last completed epoch's checkpoint files are kept.</exception>
    /// <exception cref="CheckpointException">The checkpoint folder is not writable, a checkpoint could not be written,
    /// or the one to resume from is unreadable or belongs to another model or optimizer.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TrainingResult Fit(
        nn.Module<Tensor, Tensor> model, IDataset trainData, IDataset testData,
        TrainingOptions? options = null, bool resume = false, CancellationToken cancellationToken = default) =>
        FitCore(model, trainData, testData, options, resume, wrapCheckpointStream: null, cancellationToken);

    /// <summary><see cref="Fit(nn.Module{Tensor, Tensor}, IDataset, IDataset, TrainingOptions?, bool, CancellationToken)"/>,
    /// with <paramref name="wrapCheckpointStream"/> wrapping the stream of each checkpoint file it writes (the target
    /// path, the file stream): the tests' way to make a write fail part-way.</summary>
    internal static TrainingResult FitCore(
        nn.Module<Tensor, Tensor> model, IDataset trainData, IDataset testData,
        TrainingOptions? options, bool resume, Func<string, Stream, Stream>? wrapCheckpointStream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(testData);
        options = Validate(options);
        RequireSamples(trainData, nameof(trainData));
        RequireSamples(testData, nameof(testData));
        if (resume && options.CheckpointDirectory is null)
        {
            throw new ArgumentException("Expected TrainingOptions.CheckpointDirectory to resume from; found none.", nameof(resume));
        }
        TorchRuntime.EnsureInitialized();
        var directory = options.CheckpointDirectory is { } folder ? CheckpointStore.Prepare(folder) : null;
        var device = DeviceOf(model);
        using var trainLoader = new BatchLoader(trainData, options.BatchSize, options.Shuffle, options.ShuffleSeed, device);
        using var testLoader = new BatchLoader(testData, options.BatchSize, shuffle: false, seed: null, device);
        using var optimizer = options.Optimizer is { } factory
            ? factory(model.parameters()) ?? throw new ArgumentException(
                "Expected TrainingOptions.Optimizer to return an optimizer; it returned null.", nameof(options))
            : optim.SGD(model.parameters(), options.LearningRate);
        TorchSharp.Modules.OptimizerHelper? saveable = null;
        if (directory is not null)
        {
            saveable = optimizer as TorchSharp.Modules.OptimizerHelper ?? throw new ArgumentException(
                $"Expected an optimizer whose state TorchSharp can save (torch.optim.SGD, Adam, AdamW, ...) for checkpoints; found {optimizer.GetType().Name}.",
                nameof(options));
        }
        var scheduler = options.Schedule?.Create(optimizer);
        var schedulerSteps = 0;
        void StepScheduler()
        {
            scheduler!.step();
            schedulerSteps++;
        }
        var perBatch = scheduler is not null && options.Schedule!.Interval == ScheduleInterval.Batch ? StepScheduler : (Action?)null;

        var epochs = new List<EpochResult>();
        var first = 1;
        if (resume && TrainingCheckpoint.TryRead(directory!) is { } checkpoint)
        {
            var state = CheckpointStore.Read(checkpoint.StatePath, saveable!, steps =>
            {
                // Replayed on the fresh optimizer before its state is loaded: the scheduler's own counters and the
                // rates it sets are then those of the interrupted run.
                for (var i = 0; i < steps; i++)
                {
                    StepScheduler();
                }
            });
            model.LoadCheckpoint(checkpoint.ModelPath);
            if (state.ShuffleState is { } shuffle && trainLoader.ShuffleGenerator is { } generator)
            {
                CheckpointStore.Restore(generator, shuffle);
            }
            CheckpointStore.RestoreGlobalRandomState(state.RandomState);
            epochs.AddRange(state.Epochs);
            first = state.Epoch + 1;
        }

        for (var t = first; t <= options.Epochs; t++)
        {
            options.Output?.WriteLine(QuickstartText.EpochHeader(t));
            options.Output?.WriteLine(QuickstartText.Rule);
            var clock = Stopwatch.StartNew();
            var train = TrainingLoops.Train(model, trainLoader, optimizer, options, t, perBatch, cancellationToken);
            if (scheduler is not null && perBatch is null)
            {
                StepScheduler();
            }
            var test = TrainingLoops.Test(model, testLoader, options, t, cancellationToken);
            epochs.Add(new EpochResult(t, train, test, clock.Elapsed));
            if (directory is not null)
            {
                var shuffleState = trainLoader.ShuffleGenerator is { } generator ? CheckpointStore.StateBytes(generator) : null;
                var state = new TrainingState(t, schedulerSteps, shuffleState, CheckpointStore.GlobalRandomState(), epochs.ToArray());
                CheckpointStore.Write(directory, model, state, saveable!, wrapCheckpointStream);
            }
        }
        options.Output?.WriteLine("Done!");
        return new TrainingResult(epochs);
    }

    /// <summary>One pass over the training data (the quickstart's <c>train_loop</c>): in train mode, per batch
    /// forward, loss, <c>backward()</c>, optional gradient clipping (<see cref="TrainingOptions.MaxGradientNorm"/>),
    /// <c>optimizer.step()</c>, <c>optimizer.zero_grad()</c>; every <see cref="TrainingOptions.LogInterval"/>
    /// batches it writes <c>loss: {loss:&gt;7f}  [{current:&gt;5d}/{size:&gt;5d}]</c> with
    /// <c>current = (batch + 1) * len(X)</c>.</summary>
    /// <param name="model">The model; its train/eval mode is restored afterwards.</param>
    /// <param name="loader">The batches; they should be on the model's device.</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="options">Loss function, clipping, log interval, output and progress; null for the quickstart's
    /// (silent). Epochs, batch size, optimizer, schedule, shuffling and checkpoints are <see cref="Fit"/>'s business
    /// (step your own scheduler after this call).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The epoch's mean and last batch loss.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the data does not fit the model or loss
    /// (see <see cref="Fit"/>).</exception>
    /// <exception cref="NonFiniteLossException">A loss was NaN or infinite (noticed at the next logged batch, progress
    /// report or the end of the pass).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TrainEpochResult TrainEpoch(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, optim.Optimizer optimizer,
        TrainingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(optimizer);
        options = Validate(options);
        TorchRuntime.EnsureInitialized();
        return TrainingLoops.Train(model, loader, optimizer, options, epoch: 0, afterStep: null, cancellationToken);
    }

    /// <summary>One pass over test data (the quickstart's <c>test_loop</c>): in eval mode and under
    /// <c>no_grad</c>, sums the per-batch mean losses and, for classification, the correct argmax predictions and the
    /// confusion counts, then writes <c>Test Error: \n Accuracy: {(100*correct):&gt;0.1f}%, Avg loss: {test_loss:&gt;8f} \n</c>
    /// (without the accuracy when the data is not classification).</summary>
    /// <param name="model">The model; its train/eval mode is restored afterwards.</param>
    /// <param name="loader">The batches; they should be on the model's device.</param>
    /// <param name="options">Loss function, output and progress; null for the quickstart's (silent).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>Correct count, sample count, average loss (sum of batch losses / number of batches) and, for
    /// classification (logits <c>[B, C]</c>, int64 labels <c>[B]</c>), the confusion matrix.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The loader's dataset is empty (the quickstart would divide by zero), an
    /// option is out of range, or the data does not fit the model or loss (see <see cref="Fit"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationResult Evaluate(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        RequireSamples(loader.Dataset, nameof(loader));
        options = Validate(options);
        TorchRuntime.EnsureInitialized();
        return TrainingLoops.Test(model, loader, options, epoch: 0, cancellationToken);
    }

    private static Device DeviceOf(nn.Module<Tensor, Tensor> model) =>
        model.parameters().FirstOrDefault()?.device ?? CPU;

    private static void RequireSamples(IDataset data, string parameter)
    {
        ObjectDisposedException.ThrowIf(data.IsDisposed, data);
        if (data.Count == 0)
        {
            throw new ArgumentException("Expected at least one sample; the dataset is empty.", parameter);
        }
    }

    private static TrainingOptions Validate(TrainingOptions? options)
    {
        options ??= TrainingOptions.Quickstart;
        if (options.Epochs < 1)
        {
            throw new ArgumentException($"Expected at least 1 epoch; found {options.Epochs}.", nameof(options));
        }
        if (options.BatchSize < 1)
        {
            throw new ArgumentException($"Expected a batch size of at least 1; found {options.BatchSize}.", nameof(options));
        }
        if (!(options.LearningRate > 0) || !double.IsFinite(options.LearningRate))
        {
            throw new ArgumentException($"Expected a positive, finite learning rate; found {options.LearningRate}.", nameof(options));
        }
        if (options.LogInterval < 1)
        {
            throw new ArgumentException($"Expected a log interval of at least 1 batch; found {options.LogInterval}.", nameof(options));
        }
        if (options.MaxGradientNorm is { } norm && (!(norm > 0) || !double.IsFinite(norm)))
        {
            throw new ArgumentException($"Expected a positive, finite MaxGradientNorm; found {norm}.", nameof(options));
        }
        return options;
    }
}
