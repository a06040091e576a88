
namespace NeuralNet.Torch.Serving;

/// <summary>One queued call of a <see cref="Predictor"/>: its samples, flattened and already checked, and the task its
/// caller waits on; cancelling the caller's token cancels the task (the worker then drops the request).</summary>
internal sealed class PredictorRequest
{
    private readonly TaskCompletionSource<IReadOnlyList<ClassPrediction>> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly CancellationTokenRegistration _registration;

    public PredictorRequest(Array values, int count, CancellationToken cancellationToken)
    {
        Values = values;
        Count = count;
        _registration = cancellationToken.Register(static state => ((PredictorRequest)state!).Cancel(), this);
    }

    /// <summary>The request's samples, flattened one after the other: float[] or long[].</summary>
    public Array Values { get; }

    public int Count { get; }

    public Task<IReadOnlyList<ClassPrediction>> Task => _completion.Task;

    public bool IsDone => _completion.Task.IsCompleted;

    public void Succeed(IReadOnlyList<ClassPrediction> results)
    {
        _completion.TrySetResult(results);
        _registration.Dispose();
    }

    public void Fail(Exception exception)
    {
        _completion.TrySetException(exception);
        _registration.Dispose();
    }

    private void Cancel() => _completion.TrySetCanceled();
}
