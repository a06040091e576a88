namespace NeuralNet.Torch.Training;

/// <summary>When <see cref="Trainer.Fit"/> calls a learning-rate scheduler's <c>step()</c>.</summary>
public enum ScheduleInterval
{
    /// <summary>Once after each epoch's training loop (PyTorch's usage of <c>StepLR</c>, <c>CosineAnnealingLR</c>,
    /// <c>ExponentialLR</c>: <c>T_max</c> and <c>step_size</c> count epochs).</summary>
    Epoch,

    /// <summary>After every <c>optimizer.step()</c> (PyTorch's usage of <c>OneCycleLR</c> and <c>CyclicLR</c>:
    /// <c>total_steps</c> counts batches).</summary>
    Batch,
}
