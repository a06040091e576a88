namespace NeuralNet.Torch.Inference;

/// <summary>Counts NaN and infinite values of a large input on both cores (the check before a large batch's forward
/// pass would otherwise be a single-threaded pass over megabytes).</summary>
internal sealed unsafe class NonFiniteCountJob : PhasedJob
{
    /// <summary>Values per chunk (256 KB of floats).</summary>
    public const int ChunkSize = 64 * 1024;

    [ThreadStatic]
    private static NonFiniteCountJob? _current;

    private long[] _counts = [];
    private float* _values;
    private long _length;
    private int _chunks;

    public override int Phases => 1;

    public override int Chunks(int phase) => _chunks;

    /// <summary>The number of NaN or infinite values in <paramref name="values"/>.</summary>
    public static long Count(ReadOnlySpan<float> values)
    {
        if (values.Length < 4 * ChunkSize)
        {
            return PackedInference.CountNonFiniteSerial(values);
        }
        var job = _current ??= new NonFiniteCountJob();
        job._chunks = (values.Length + ChunkSize - 1) / ChunkSize;
        if (job._counts.Length < job._chunks)
        {
            job._counts = new long[job._chunks];
        }
        fixed (float* p = values)
        {
            job._values = p;
            job._length = values.Length;
            try
            {
                HelperThread.Run(job);
            }
            finally
            {
                job._values = null;
            }
        }
        long total = 0;
        for (var i = 0; i < job._chunks; i++)
        {
            total += job._counts[i];
        }
        return total;
    }

    public override void RunChunk(int phase, int chunk)
    {
        var start = (long)chunk * ChunkSize;
        var length = (int)Math.Min(ChunkSize, _length - start);
        _counts[chunk] = PackedInference.CountNonFiniteSerial(new ReadOnlySpan<float>(_values + start, length));
    }
}
