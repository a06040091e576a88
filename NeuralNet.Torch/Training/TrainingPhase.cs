namespace NeuralNet.Torch.Training;

/// <summary>Which loop a <see cref="TrainingProgress"/> report comes from.</summary>
public enum TrainingPhase
{
    /// <summary>The training loop (the quickstart's <c>train_loop</c>): forward, loss, backward, optimizer step.</summary>
    Train,

    /// <summary>The test loop (the quickstart's <c>test_loop</c>): forward and loss under <c>no_grad</c>, counting
    /// correct predictions.</summary>
    Test,
}
