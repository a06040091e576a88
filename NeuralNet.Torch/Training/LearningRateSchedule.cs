using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace NeuralNet.Torch.Training;

/// <summary>A learning-rate scheduler for <see cref="Trainer.Fit"/>: how to build it over the optimizer, and whether
/// it steps per epoch or per batch (<see cref="TrainingOptions.Schedule"/>).</summary>
/// <param name="Create">Builds TorchSharp's scheduler (<c>torch.optim.lr_scheduler.*</c>) over the optimizer
/// <see cref="Trainer.Fit"/> made.</param>
/// <param name="Interval">When its <c>step()</c> is called.</param>
/// <remarks>On resume (<see cref="TrainingOptions.CheckpointDirectory"/>), a new scheduler is built and stepped as
/// many times as the interrupted run had stepped it, which restores any of TorchSharp's schedulers exactly.</remarks>
public sealed record LearningRateSchedule(Func<Optimizer, lr_scheduler.LRScheduler> Create, ScheduleInterval Interval)
{
    /// <summary><c>StepLR(optimizer, step_size, gamma)</c>, stepped per epoch: the rate is multiplied by
    /// <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    /// <param name="stepSize">Epochs between decays; at least 1.</param>
    /// <param name="gamma">The factor; PyTorch's default 0.1.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is less than 1.</exception>
    public static LearningRateSchedule StepLR(int stepSize, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        return new(o => lr_scheduler.StepLR(o, stepSize, gamma), ScheduleInterval.Epoch);
    }

    /// <summary><c>CosineAnnealingLR(optimizer, T_max, eta_min)</c>, stepped per epoch.</summary>
    /// <param name="tMax">Epochs of the half cosine (usually the number of epochs); at least 1.</param>
    /// <param name="etaMin">The lowest rate; PyTorch's default 0.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is less than 1.</exception>
    public static LearningRateSchedule CosineAnnealingLR(int tMax, double etaMin = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        return new(o => lr_scheduler.CosineAnnealingLR(o, tMax, etaMin), ScheduleInterval.Epoch);
    }

    /// <summary><c>OneCycleLR(optimizer, max_lr, total_steps)</c> with PyTorch's other defaults, stepped per batch.</summary>
    /// <param name="maxLearningRate">The peak rate; positive.</param>
    /// <param name="totalSteps">Batches in the whole run (epochs times batches per epoch); at least 1.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static LearningRateSchedule OneCycleLR(double maxLearningRate, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLearningRate);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        return new(o => lr_scheduler.OneCycleLR(o, maxLearningRate, totalSteps), ScheduleInterval.Batch);
    }
}
