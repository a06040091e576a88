namespace NeuralNet.Torch.Training;

/// <summary>One epoch of <see cref="Trainer.Fit"/>: the training pass, then the test pass.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Train">The training pass.</param>
/// <param name="Test">The test pass after it.</param>
/// <param name="Duration">Wall-clock time of both passes.</param>
public sealed record EpochResult(int Epoch, TrainEpochResult Train, EvaluationResult Test, TimeSpan Duration)
{
    /// <summary>The epoch's mean training loss (<see cref="TrainEpochResult.AverageLoss"/>).</summary>
    public double TrainLoss => Train.AverageLoss;

    /// <summary>The test accuracy after the epoch, in <c>[0, 1]</c>; NaN when the data is not classification
    /// (<see cref="EvaluationResult.Accuracy"/>).</summary>
    public double TestAccuracy => Test.Accuracy;

    /// <summary>The test loop's average loss after the epoch.</summary>
    public double TestLoss => Test.AverageLoss;
}
