namespace NeuralNet.Torch.Training;

/// <summary>What one pass of the training loop measured.</summary>
/// <param name="AverageLoss">The mean of the per-batch mean losses over the epoch (NaN when there was no batch).</param>
/// <param name="LastLoss">The last batch's mean loss (NaN when there was no batch).</param>
/// <param name="Batches">Batches trained on.</param>
/// <param name="Samples">Samples trained on.</param>
public sealed record TrainEpochResult(double AverageLoss, double LastLoss, int Batches, long Samples);
