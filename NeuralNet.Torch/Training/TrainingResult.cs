namespace NeuralNet.Torch.Training;

/// <summary>Everything <see cref="Trainer.Fit"/> measured, one entry per epoch.</summary>
/// <param name="Epochs">The epochs, in order.</param>
public sealed record TrainingResult(IReadOnlyList<EpochResult> Epochs)
{
    /// <summary>The last epoch's result (null when no epoch ran).</summary>
    public EpochResult? Final => Epochs.Count == 0 ? null : Epochs[^1];
}
