namespace NeuralNet.Torch.Training;

/// <summary>What the test loop measured (the numbers of the quickstart's <c>Test Error</c> block).</summary>
/// <param name="Correct">Samples whose argmax class equals the label (0 when the data is not classification).</param>
/// <param name="Count">Samples evaluated (<c>size</c>).</param>
/// <param name="AverageLoss">The sum of the per-batch mean losses divided by the number of batches, as the quickstart
/// computes it (with a smaller last batch this is not the per-sample mean).</param>
/// <param name="Batches">Batches evaluated (<c>num_batches</c>).</param>
/// <param name="Confusion">For classification (logits <c>[B, C]</c>, int64 labels <c>[B]</c>), the counts of
/// (label, argmax) pairs; null otherwise (regression targets, per-position labels).</param>
public sealed record EvaluationResult(long Correct, long Count, double AverageLoss, int Batches, ConfusionMatrix? Confusion = null)
{
    /// <summary>The fraction correct, <c>Correct / Count</c>, in <c>[0, 1]</c> (the quickstart prints 100 times it);
    /// NaN when the data is not classification (<see cref="Confusion"/> is null).</summary>
    public double Accuracy => Confusion is null ? double.NaN : (double)Correct / Count;
}
