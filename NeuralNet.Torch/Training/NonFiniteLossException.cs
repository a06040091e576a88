namespace NeuralNet.Torch.Training;

/// <summary>A training batch's loss was NaN or infinite: the run stopped before that batch's backward pass and
/// optimizer step, so the weights in memory are those after the previous batch, and the files of the last completed
/// epoch (<see cref="TrainingOptions.CheckpointDirectory"/>) are untouched.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception; the message names the epoch, the batch and the value.</summary>
    /// <param name="epoch">The epoch, from 1 (0 for <see cref="Trainer.TrainEpoch"/> on its own).</param>
    /// <param name="batch">The batch's index in the epoch, from 0.</param>
    /// <param name="loss">The loss read.</param>
    public NonFiniteLossException(int epoch, int batch, double loss)
        : base($"The training loss became {loss} at epoch {epoch}, batch {batch}: training stopped before that batch's " +
               "optimizer step (lower the learning rate, clip gradients with TrainingOptions.MaxGradientNorm, or check the data).")
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
}
