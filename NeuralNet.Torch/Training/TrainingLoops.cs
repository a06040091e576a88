using System.Runtime.InteropServices;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>The training and test loops behind <see cref="Trainer"/>; arguments are validated by the caller.</summary>
internal static class TrainingLoops
{
    public static TrainEpochResult Train(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, optim.Optimizer optimizer, TrainingOptions options,
        int epoch, Action? afterStep, CancellationToken cancellationToken)
    {
        var lossFunction = options.LossFunction ?? CrossEntropy;
        var size = loader.SampleCount;
        var batchCount = loader.BatchCount;
        var device = loader.Device ?? CPU;
        var clipped = options.MaxGradientNorm is null ? null : model.parameters().ToArray();
        // Kept on the device: reading every batch's loss costs a synchronisation per batch. A NaN or infinity makes
        // the running sum non-finite; the sum is read where the loop reads anyway (a logged batch, a progress report)
        // and at the end, and only then are the losses searched for the first bad batch.
        using var losses = empty(Math.Max(batchCount, 1), ScalarType.Float64, device).DetachFromDisposeScope();
        using var lossSum = zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        var wasTraining = model.training;
        var batches = 0;
        long samples = 0;
        model.train();
        try
        {
            ForEachBatch(loader, cancellationToken, batch =>
            {
                var prediction = Forward(model, batch, epoch);
                if (batches == 0)
                {
                    DataChecks.IsClassification(prediction, batch.Labels, loader.Dataset, options.LossFunction is null);
                }
                var loss = Loss(lossFunction, prediction, batch, epoch);
                loss.backward();
                if (clipped is not null)
                {
                    nn.utils.clip_grad_norm_(clipped, options.MaxGradientNorm!.Value);
                }
                optimizer.step();
                afterStep?.Invoke();
                optimizer.zero_grad();
                var value = losses.narrow(0, batches, 1).copy_(loss.detach().reshape(1));
                lossSum.add_(value);
                batches++;
                samples += batch.Size;
                var logged = batch.Index % options.LogInterval == 0;
                if (logged || options.Progress is not null)
                {
                    ThrowIfNonFinite(lossSum, losses, batches, epoch);
                    var read = value.item<double>();
                    if (logged)
                    {
                        options.Output?.WriteLine(QuickstartText.LossLine(read, (batch.Index + 1) * batch.Size, size));
                    }
                    options.Progress?.Report(new TrainingProgress(TrainingPhase.Train, epoch, batches, batchCount, samples, size, read));
                }
            });
            ThrowIfNonFinite(lossSum, losses, batches, epoch);
        }
        finally
        {
            model.train(wasTraining);
        }
        if (batches == 0)
        {
            return new TrainEpochResult(double.NaN, double.NaN, 0, 0);
        }
        using var last = losses[batches - 1];
        return new TrainEpochResult(lossSum.item<double>() / batches, last.item<double>(), batches, samples);
    }

    private static void ThrowIfNonFinite(Tensor lossSum, Tensor losses, int batches, int epoch)
    {
        if (double.IsFinite(lossSum.item<double>()))
        {
            return;
        }
        using var all = losses.narrow(0, 0, batches).cpu();
        var values = all.data<double>().ToArray();
        var index = Array.FindIndex(values, v => !double.IsFinite(v));
        throw new NonFiniteLossException(epoch, index, values[index]);
    }

    public static EvaluationResult Test(
        nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions options, int epoch,
        CancellationToken cancellationToken)
    {
        var lossFunction = options.LossFunction ?? CrossEntropy;
        var size = loader.SampleCount;
        var batchCount = loader.BatchCount;
        var device = loader.Device ?? CPU;
        using var lossSum = zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        Tensor? confusion = null;
        var classes = 0;
        var wasTraining = model.training;
        var batches = 0;
        long samples = 0;
        model.eval();
        try
        {
            // no_grad, except for a model with an LSTM (libtorch 2.10's grad-off CPU LSTM computes wrong values).
            using var gradMode = InferenceGradMode.For(model);
            ForEachBatch(loader, cancellationToken, batch =>
            {
                var prediction = Forward(model, batch, epoch);
                if (batches == 0 && DataChecks.IsClassification(prediction, batch.Labels, loader.Dataset, options.LossFunction is null))
                {
                    classes = (int)prediction.shape[1];
                    confusion = zeros(classes * classes, ScalarType.Int64, device).DetachFromDisposeScope();
                }
                var loss = Loss(lossFunction, prediction, batch, epoch).detach();
                lossSum.add_(loss);
                if (confusion is not null)
                {
                    var pairs = batch.Labels.mul(classes).add_(prediction.argmax(1));
                    confusion.add_(pairs.bincount(null, classes * classes));
                }
                batches++;
                samples += batch.Size;
                options.Progress?.Report(new TrainingProgress(TrainingPhase.Test, epoch, batches, batchCount, samples, size, loss.ToDouble()));
            });
        }
        finally
        {
            model.train(wasTraining);
        }
        ConfusionMatrix? matrix = null;
        if (confusion is not null)
        {
            using (confusion)
            using (var counts = confusion.cpu())
            {
                matrix = new ConfusionMatrix(classes, counts.data<long>().ToArray());
            }
        }
        var result = new EvaluationResult(matrix?.Correct ?? 0, samples, lossSum.item<double>() / batches, batches, matrix);
        if (options.Output is { } output)
        {
            var lines = matrix is null
                ? QuickstartText.TestLossLines(result.AverageLoss)
                : QuickstartText.TestErrorLines(result.Correct, result.Count, result.AverageLoss);
            foreach (var line in lines)
            {
                output.WriteLine(line);
            }
        }
        return result;
    }

    // The loop both passes share: cancellation checked before each batch, each batch in its own dispose scope (the
    // loader's tensors and everything the step makes are freed before the next batch).
    private static void ForEachBatch(BatchLoader loader, CancellationToken cancellationToken, Action<Batch> step)
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

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Batch batch, int epoch)
    {
        try
        {
            return model.call(batch.Inputs);
        }
        catch (ExternalException e)
        {
            throw new ArgumentException(
                $"The model failed on inputs {batch.Inputs.dtype} {ShapeText.Of(batch.Inputs.shape)} (epoch {epoch}, batch {batch.Index}): {e.Message.TrimEnd()}",
                nameof(batch), e);
        }
    }

    private static Tensor Loss(Func<Tensor, Tensor, Tensor> lossFunction, Tensor prediction, Batch batch, int epoch)
    {
        try
        {
            return lossFunction(prediction, batch.Labels);
        }
        catch (ExternalException e)
        {
            throw new ArgumentException(
                $"The loss failed on predictions {prediction.dtype} {ShapeText.Of(prediction.shape)} and labels {batch.Labels.dtype} " +
                $"{ShapeText.Of(batch.Labels.shape)} (epoch {epoch}, batch {batch.Index}): {e.Message.TrimEnd()}",
                nameof(batch), e);
        }
    }

    private static Tensor CrossEntropy(Tensor logits, Tensor labels) => nn.functional.cross_entropy(logits, labels);
}
