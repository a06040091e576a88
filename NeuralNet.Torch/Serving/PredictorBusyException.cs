namespace NeuralNet.Torch.Serving;

/// <summary>A <see cref="Predictor"/>'s queue is full: the request was refused at once, nothing was queued. A service
/// answers it with 503 (try again later).</summary>
public sealed class PredictorBusyException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was refused and why.</param>
    public PredictorBusyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with no message of its own.</summary>
    public PredictorBusyException()
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    /// <param name="message">What was refused and why.</param>
    /// <param name="innerException">The cause.</param>
    public PredictorBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
