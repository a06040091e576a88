namespace NeuralNet.Torch.Training;

/// <summary>What the test loop measured (the numbers of the quickstart's <c>Test Error</c> block).</summary>
/// <param name="Correct">Samples whose argmax class equals the label.</param>
/// <param name="Count">Samples evaluated (<c>size</c>).</param>
/// <param name="AverageLoss">The sum of the per-batch mean losses divided by the number of batches, as the quickstart
/// computes it (with a smaller last batch this is not the per-sample mean).</param>
/// <param name="Batches">Batches evaluated (<c>num_batches</c>).</param>
public sealed record EvaluationResult(long Correct, long Count, double AverageLoss, int Batches)
{
    /// <summary>The fraction correct, <c>Correct / Count</c>, in <c>[0, 1]</c> (the quickstart prints 100 times it).</summary>
    public double Accuracy => (double)Correct / Count;
}
