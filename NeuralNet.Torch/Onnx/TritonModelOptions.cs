namespace NeuralNet.Torch.Onnx;

/// <summary>Settings of a model written into a Triton/KServe model repository (<see cref="TritonModelRepository"/>).</summary>
public sealed class TritonModelOptions
{
    /// <summary>The largest batch the server forms (Triton's <c>max_batch_size</c>, 1 to 1,048,576). Default 64,
    /// as <see cref="Serving.PredictorOptions.MaxBatchSize"/>.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>How long the server holds a request for others to batch with it (Triton's
    /// <c>dynamic_batching.max_queue_delay_microseconds</c>, 0 to 1 second). Default 1 ms, as
    /// <see cref="Serving.PredictorOptions.MaxBatchWait"/>.</summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The model version folder to write (a positive integer; Triton serves the highest by default).
    /// Default 1.</summary>
    public long Version { get; set; } = 1;

    /// <summary>Names and input shape of the exported graph; the defaults (<c>input</c>, <c>logits</c>, and the first
    /// <c>Linear</c>'s <c>[in_features]</c>: <c>[784]</c> for the document's model) when null. A model whose first layer
    /// is not a <c>Linear</c>, such as a CNN, needs <see cref="OnnxExportOptions.InputShape"/> (e.g. <c>[1, 28, 28]</c>);
    /// the configuration's <c>dims</c> are then that shape.</summary>
    public OnnxExportOptions? Export { get; set; }
}
