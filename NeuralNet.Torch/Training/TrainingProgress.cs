namespace NeuralNet.Torch.Training;

/// <summary>Progress after one batch, reported through <see cref="TrainingOptions.Progress"/>.</summary>
/// <param name="Phase">Training or testing.</param>
/// <param name="Epoch">The epoch, from 1, within <see cref="Trainer.Fit"/>; 0 when a loop runs on its own.</param>
/// <param name="Batch">Batches done in this loop so far, 1 .. <paramref name="BatchCount"/>.</param>
/// <param name="BatchCount">Batches in the loop (<c>len(dataloader)</c>).</param>
/// <param name="Samples">Samples done in this loop so far.</param>
/// <param name="SampleCount">Samples in the loop (<c>len(dataloader.dataset)</c>).</param>
/// <param name="Loss">This batch's mean loss.</param>
public sealed record TrainingProgress(
    TrainingPhase Phase, int Epoch, int Batch, int BatchCount, long Samples, long SampleCount, double Loss);
