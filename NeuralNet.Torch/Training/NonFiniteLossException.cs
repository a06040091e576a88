namespace NeuralNet.Torch.Training;

/// <summary>A training batch's loss was NaN or infinite. The loop watches the losses on the device and reads them
/// at each logged batch (<see cref="TrainingOptions.LogInterval"/>), at each progress report and at the end of the
/// epoch, so it stops at the first of those after the bad batch: the weights in memory have taken that batch's step
/// (and are likely NaN), while the files of the last completed epoch (<see cref="TrainingOptions.CheckpointDirectory"/>)
/// are untouched.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception; the message names the epoch, the batch and the value.</summary>
    /// <param name="epoch">The epoch, from 1 (0 for <see cref="Trainer.TrainEpoch"/> on its own).</param>
    /// <param name="batch">The batch's index in the epoch, from 0.</param>
    /// <param name="loss">The loss read.</param>
    public NonFiniteLossException(int epoch, int batch, double loss)
        : base($"The training loss became {Text(loss)} at epoch {epoch}, batch {batch}: training stopped, and the last completed " +
               "epoch's checkpoint is kept (lower the learning rate, clip gradients with TrainingOptions.MaxGradientNorm, or check the data).")
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
    }

    /// <summary>The epoch, from 1 (0 for <see cref="Trainer.TrainEpoch"/> on its own).</summary>
    public int Epoch { get; }

    /// <summary>The batch's index in the epoch, from 0.</summary>
    public int Batch { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }

    // As PyTorch prints them.
    private static string Text(double loss) => double.IsNaN(loss) ? "nan" : double.IsPositiveInfinity(loss) ? "inf" :
        double.IsNegativeInfinity(loss) ? "-inf" : loss.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
