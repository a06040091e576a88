namespace NeuralNet.Torch.Training;

/// <summary>What a state file holds besides the optimizer's state: the completed epoch, how often the scheduler
/// stepped, the shuffle generator's and the global CPU generator's states, and the results so far.</summary>
internal sealed record TrainingState(
    int Epoch, int SchedulerSteps, byte[]? ShuffleState, byte[] RandomState, IReadOnlyList<EpochResult> Epochs);
