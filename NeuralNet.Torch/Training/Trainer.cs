using System.Diagnostics;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>
/// The PyTorch quickstart's optimisation loop in C#: <c>train_loop</c> (<see cref="TrainEpoch"/>),
/// <c>test_loop</c> (<see cref="Evaluate"/>) and the epoch loop around them (<see cref="Fit"/>), printing the same
/// lines and returning what they measured.
/// </summary>
/// <remarks>
/// <para>Works on any <c>Module&lt;Tensor, Tensor&gt;</c> that maps images <c>[B, 1, 28, 28]</c> to logits
/// <c>[B, classes]</c>: either <see cref="NeuralNetworkVariant"/> of <see cref="NeuralNetwork"/>. Batches are moved
/// to the device of the model's first parameter.</para>
/// <para>Every batch runs in its own dispose scope: nothing a step allocates outlives it. Losses and the correct
/// count are summed on the device (in float64, in batch order, as Python sums <c>loss.item()</c>) and read once per
/// loop, except for the logged batches and, when a progress sink is set, every batch.</para>
/// <para>With the same seeds (<c>torch.manual_seed</c> before building the model, <see cref="TrainingOptions.ShuffleSeed"/>)
/// a CPU run repeats its losses exactly. Not thread-safe: one loop per model at a time. Do not call from inside a
/// dispose scope you expect to keep the model's tensors in: the loops open their own.</para>
/// <para>Cancellation is checked before each batch; a cancelled run leaves the model as trained so far.</para>
/// </remarks>
public static class Trainer
{
    /// <summary>Trains and tests for <see cref="TrainingOptions.Epochs"/> epochs, as the quickstart does:
    /// <c>Epoch {t}</c> and 31 dashes, the training loop, the test loop, and finally <c>Done!</c>.</summary>
    /// <param name="model">The model, on the device to train on.</param>
    /// <param name="trainData">Training samples.</param>
    /// <param name="testData">Test samples.</param>
    /// <param name="options">Settings; null for the quickstart's.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>Per-epoch training loss, test accuracy and test loss.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A dataset is empty, or an option is out of range.</exception>
    /// <exception cref="ObjectDisposedException">A dataset was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TrainingResult Fit(
        nn.Module<Tensor, Tensor> model, ImageDataset trainData, ImageDataset testData,
        TrainingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(testData);
        options = Validate(options);
        RequireSamples(trainData, nameof(trainData));
        RequireSamples(testData, nameof(testData));
        var device = DeviceOf(model);
        using var trainLoader = new BatchLoader(trainData, options.BatchSize, options.Shuffle, options.ShuffleSeed, device);
        using var testLoader = new BatchLoader(testData, options.BatchSize, shuffle: false, seed: null, device);
        using var optimizer = optim.SGD(model.parameters(), options.LearningRate);
        var epochs = new List<EpochResult>();
        for (var t = 1; t <= options.Epochs; t++)
        {
            options.Output?.WriteLine(QuickstartText.EpochHeader(t));
            options.Output?.WriteLine(QuickstartText.Rule);
            var clock = Stopwatch.StartNew();
            var train = RunTrainLoop(model, trainLoader, optimizer, options, t, cancellationToken);
            var test = RunTestLoop(model, testLoader, options, t, cancellationToken);
            epochs.Add(new EpochResult(t, train, test, clock.Elapsed));
        }
        options.Output?.WriteLine("Done!");
        return new TrainingResult(epochs);
    }

    /// <summary>One pass over the training data (the quickstart's <c>train_loop</c>): in train mode, per batch
    /// forward, loss, <c>backward()</c>, <c>optimizer.step()</c>, <c>optimizer.zero_grad()</c>; every
    /// <see cref="TrainingOptions.LogInterval"/> batches it writes <c>loss: {loss:&gt;7f}  [{current:&gt;5d}/{size:&gt;5d}]</c>
    /// with <c>current = (batch + 1) * len(X)</c>.</summary>
    /// <param name="model">The model; left in train mode.</param>
    /// <param name="loader">The batches; they should be on the model's device.</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="options">Loss function, log interval, output and progress; null for the quickstart's (silent).
    /// Epochs, batch size, learning rate and shuffling are the loader's and optimizer's business here.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The epoch's mean and last batch loss.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TrainEpochResult TrainEpoch(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, optim.Optimizer optimizer,
        TrainingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(optimizer);
        return RunTrainLoop(model, loader, optimizer, Validate(options), epoch: 0, cancellationToken);
    }

    /// <summary>One pass over test data (the quickstart's <c>test_loop</c>): in eval mode and under
    /// <c>no_grad</c>, sums the per-batch mean losses and the correct argmax predictions, then writes
    /// <c>Test Error: \n Accuracy: {(100*correct):&gt;0.1f}%, Avg loss: {test_loss:&gt;8f} \n</c>.</summary>
    /// <param name="model">The model; its train/eval mode is restored afterwards.</param>
    /// <param name="loader">The batches; they should be on the model's device.</param>
    /// <param name="options">Loss function, output and progress; null for the quickstart's (silent).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>Correct count, sample count, average loss (sum of batch losses / number of batches).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The loader's dataset is empty (the quickstart would divide by zero), or
    /// an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationResult Evaluate(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        RequireSamples(loader.Dataset, nameof(loader));
        return RunTestLoop(model, loader, Validate(options), epoch: 0, cancellationToken);
    }

    private static TrainEpochResult RunTrainLoop(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, optim.Optimizer optimizer, TrainingOptions options,
        int epoch, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureInitialized();
        var lossFunction = options.LossFunction ?? CrossEntropy;
        var size = loader.SampleCount;
        var batchCount = loader.BatchCount;
        var device = loader.Device ?? CPU;
        using var lossSum = zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        using var lastLoss = full(1, double.NaN, ScalarType.Float64, device).DetachFromDisposeScope();
        model.train();
        var batches = 0;
        long samples = 0;
        ForEachBatch(loader, cancellationToken, batch =>
        {
            var prediction = model.call(batch.Images);
            var loss = lossFunction(prediction, batch.Labels);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            var detached = loss.detach();
            lossSum.add_(detached);
            lastLoss.copy_(detached);
            batches++;
            samples += batch.Size;
            double? value = null;
            if (batch.Index % options.LogInterval == 0)
            {
                value = detached.item<float>();
                options.Output?.WriteLine(QuickstartText.LossLine(value.Value, (batch.Index + 1) * batch.Size, size));
            }
            options.Progress?.Report(new TrainingProgress(
                TrainingPhase.Train, epoch, batches, batchCount, samples, size, value ?? detached.item<float>()));
        });
        var average = batches == 0 ? double.NaN : lossSum.item<double>() / batches;
        return new TrainEpochResult(average, lastLoss.item<double>(), batches, samples);
    }

    private static EvaluationResult RunTestLoop(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions options, int epoch,
        CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureInitialized();
        var lossFunction = options.LossFunction ?? CrossEntropy;
        var size = loader.SampleCount;
        var batchCount = loader.BatchCount;
        var device = loader.Device ?? CPU;
        using var lossSum = zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        using var correct = zeros(1, ScalarType.Int64, device).DetachFromDisposeScope();
        var wasTraining = model.training;
        model.eval();
        var batches = 0;
        long samples = 0;
        try
        {
            using var noGrad = no_grad();
            ForEachBatch(loader, cancellationToken, batch =>
            {
                var prediction = model.call(batch.Images);
                var loss = lossFunction(prediction, batch.Labels);
                lossSum.add_(loss);
                correct.add_(prediction.argmax(1).eq(batch.Labels).sum());
                batches++;
                samples += batch.Size;
                options.Progress?.Report(new TrainingProgress(
                    TrainingPhase.Test, epoch, batches, batchCount, samples, size, loss.item<float>()));
            });
        }
        finally
        {
            model.train(wasTraining);
        }
        var result = new EvaluationResult(correct.item<long>(), samples, lossSum.item<double>() / batches, batches);
        if (options.Output is { } output)
        {
            foreach (var line in QuickstartText.TestErrorLines(result.Correct, result.Count, result.AverageLoss))
            {
                output.WriteLine(line);
            }
        }
        return result;
    }

    // The loop both passes share: cancellation checked before each batch, each batch in its own dispose scope (the
    // loader's tensors and everything the step makes are freed before the next batch).
    private static void ForEachBatch(BatchLoader loader, CancellationToken cancellationToken, Action<ImageBatch> step)
    {
        using var enumerator = loader.GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            if (!enumerator.MoveNext())
            {
                break;
            }
            using var batch = enumerator.Current;
            step(batch);
        }
    }

    private static Tensor CrossEntropy(Tensor logits, Tensor labels) => nn.functional.cross_entropy(logits, labels);

    private static Device DeviceOf(nn.Module<Tensor, Tensor> model) =>
        model.parameters().FirstOrDefault()?.device ?? CPU;

    private static void RequireSamples(ImageDataset data, string parameter)
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
        return options;
    }
}
