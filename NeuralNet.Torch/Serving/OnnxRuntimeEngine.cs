using Microsoft.ML.OnnxRuntime;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Onnx;

namespace NeuralNet.Torch.Serving;

/// <summary>The ONNX Runtime engine: the model exported to ONNX in memory, one CPU session, and the document's
/// softmax + argmax on its logits, in the same float32 arithmetic as every other path (<see cref="PredictionResults"/>).</summary>
/// <remarks>Owns the session, its options and the run options, and disposes them; each batch's input and output
/// values are disposed before <see cref="Predict(float[], int)"/> returns. The input value wraps the caller's array (pinned for the
/// run), so nothing is copied into native memory but the outputs.</remarks>
internal sealed class OnnxRuntimeEngine : IPredictionEngine
{
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions;
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _shape;
    private int _disposed;

    private OnnxRuntimeEngine(byte[] onnx, OnnxExportInfo info)
    {
        _shape = [0, .. info.InputShape];
        _inputNames = [info.InputName];
        _outputNames = [info.OutputName];
        _sessionOptions = new SessionOptions();
        try
        {
            _runOptions = new RunOptions();
            _session = new InferenceSession(onnx, _sessionOptions);
        }
        catch
        {
            _runOptions?.Dispose();
            _sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>The session (for tests: its metadata and disposal).</summary>
    internal InferenceSession Session => _session;

    /// <summary>The session options (for tests: a SafeHandle, closed on dispose).</summary>
    internal SessionOptions SessionOptions => _sessionOptions;

    /// <summary>The run options (for tests: a SafeHandle, closed on dispose).</summary>
    internal RunOptions RunOptions => _runOptions;

    /// <summary>True once disposed.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Exports <paramref name="model"/> (<c>[batch, ...inputShape]</c> in, <c>[batch, C]</c> out) and opens
    /// an ONNX Runtime session on it. The model is not disposed.</summary>
    /// <exception cref="NotSupportedException">The model cannot be exported (the message names the module and says
    /// what to use instead).</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library could not be loaded.</exception>
    public static OnnxRuntimeEngine Create(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, IReadOnlyList<long> inputShape)
    {
        using var buffer = new MemoryStream();
        OnnxExportInfo info;
        try
        {
            info = model.ExportOnnx(buffer, new OnnxExportOptions { InputShape = inputShape });
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException(
                $"Engine OnnxRuntime runs models that OnnxExport can write, and this one cannot be exported: {e.Message} " +
                "Use Engine LibTorch (the default), which runs any model.", e);
        }
        try
        {
            return new OnnxRuntimeEngine(buffer.ToArray(), info);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                "ONNX Runtime could not be loaded. An application that uses PredictionEngine.OnnxRuntime references the " +
                "Microsoft.ML.OnnxRuntime package (the native runtime for Linux, Windows and macOS); NeuralNet.Torch brings " +
                "only its managed bindings. Cause: " + e.GetBaseException().Message, e);
        }
    }

    public IReadOnlyList<ClassPrediction> Predict(long[] tokens, int count) =>
        throw new NotSupportedException("Engine OnnxRuntime takes float32 input only; InputElementType Int64 needs Engine LibTorch.");

    public IReadOnlyList<ClassPrediction> Predict(float[] pixels, int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (count == 0)
        {
            return [];
        }
        _shape[0] = count;
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, _shape);
        using var outputs = _session.Run(_runOptions, _inputNames, [input], _outputNames);
        // The output's own memory, which nothing else reads: the softmax runs in place, as for the libtorch engine.
        var logits = outputs[0].GetTensorMutableDataAsSpan<float>();
        return PredictionResults.FromLogits(logits, count, logits.Length / count);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _session.Dispose();
        _runOptions.Dispose();
        _sessionOptions.Dispose();
    }
}
