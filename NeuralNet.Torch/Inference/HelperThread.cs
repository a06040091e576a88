using System.Diagnostics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// One process-wide helper thread that runs half of a <see cref="PhasedJob"/> next to the calling thread, so a small
/// batch uses two cores without a ThreadPool hand-off.
/// </summary>
/// <remarks>
/// <para>The caller never waits for the helper to start: it publishes the job, then claims chunks itself. Each
/// phase's chunks are split in two halves; the caller claims from the first half, the helper from the second (so each
/// core keeps reading the same rows of the weights and they stay in its L2 cache), and whoever runs out steals from
/// the other half. A helper that is asleep, descheduled or busy with another caller's job just means the caller does
/// all the chunks. Claims are atomic counters, so every chunk runs exactly once.</para>
/// <para>After a job the helper spins for <see cref="SpinTime"/> waiting for the next one (the first tenth busy, then
/// yielding its core to any other runnable thread between looks), then parks on a semaphore (no CPU while idle); a
/// caller that finds it parked wakes it and carries on without waiting.</para>
/// <para>Only one caller at a time uses the helper; a concurrent caller runs its job alone on its own thread.
/// Steady state allocates nothing.</para>
/// </remarks>
internal sealed class HelperThread
{
    /// <summary>The most phases a job may have.</summary>
    public const int MaxPhases = 4;

    private const long Open = 0;
    private const long Joined = 1;
    private const long Closed = 2;
    private const long Left = 3;

    // Counters 128 bytes apart: the two cores' claim counters must not share a cache line (or its adjacent-line
    // prefetch pair).
    private const int Pad = 32;

    /// <summary>Set to <c>0</c> to run the packed path on the calling thread only (no helper thread).</summary>
    public const string EnvironmentVariable = "NEURALNET_PACKED_HELPER";

    private static readonly Lazy<HelperThread?> LazyShared = new(() =>
        Environment.ProcessorCount > 1 && Environment.GetEnvironmentVariable(EnvironmentVariable) != "0" ? new HelperThread() : null);

    private readonly int[] _claims = new int[MaxPhases * 2 * Pad];
    private readonly int[] _done = new int[MaxPhases * Pad];
    // The current job's shape, read once when it is published: the job's own fields may already describe the caller's
    // next job while the helper is still leaving this one.
    private readonly int[] _chunks = new int[MaxPhases];
    private int _phases;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly long _spinTicks;
    private PhasedJob? _job;
    private long _state = (0L << 2) | Left;
    private int _parked;
    private int _busy;
    private long _joined;

    private HelperThread()
    {
        _spinTicks = (long)(SpinTime.TotalSeconds * Stopwatch.Frequency);
        new Thread(Loop) { IsBackground = true, Name = "NeuralNet.Torch inference helper" }.Start();
    }

    /// <summary>How long the helper keeps spinning for a next job before it parks.</summary>
    public static TimeSpan SpinTime { get; } = TimeSpan.FromMicroseconds(200);

    /// <summary>The helper, or null on a single-core machine or where <see cref="EnvironmentVariable"/> is <c>0</c>.</summary>
    public static HelperThread? Shared => LazyShared.Value;

    /// <summary>How many jobs the helper took part in (for tests and diagnostics).</summary>
    public long JobsJoined => Interlocked.Read(ref _joined);

    /// <summary>Runs <paramref name="job"/> to completion on the calling thread, with the helper's help when it is
    /// free.</summary>
    public static void Run(PhasedJob job)
    {
        var helper = Shared;
        if (helper is null || Interlocked.CompareExchange(ref helper._busy, 1, 0) != 0)
        {
            RunAlone(job);
            return;
        }
        try
        {
            helper.RunShared(job);
        }
        finally
        {
            Volatile.Write(ref helper._busy, 0);
        }
    }

    private static void RunAlone(PhasedJob job)
    {
        for (var phase = 0; phase < job.Phases; phase++)
        {
            var chunks = job.Chunks(phase);
            for (var chunk = 0; chunk < chunks; chunk++)
            {
                job.RunChunk(phase, chunk);
            }
        }
    }

    private void RunShared(PhasedJob job)
    {
        // The helper may still be leaving the previous job (it only reads the counters then): wait for it before
        // the counters are reset. It is almost always gone already.
        var spin = new SpinWait();
        while ((Volatile.Read(ref _state) & 3) == Joined)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        Array.Clear(_claims);
        Array.Clear(_done);
        _phases = job.Phases;
        for (var phase = 0; phase < _phases; phase++)
        {
            _chunks[phase] = job.Chunks(phase);
        }
        Volatile.Write(ref _job, job);
        var generation = (Volatile.Read(ref _state) >> 2) + 1;
        var open = (generation << 2) | Open;
        Interlocked.Exchange(ref _state, open); // full fence: the job and the cleared counters are visible first
        if (Volatile.Read(ref _parked) != 0 && Interlocked.Exchange(ref _parked, 0) == 1)
        {
            _wake.Release();
        }
        Participate(job, 0);
        // Close the job unless the helper joined it; a helper that joined leaves by itself.
        Interlocked.CompareExchange(ref _state, (generation << 2) | Closed, open);
        Volatile.Write(ref _job, null);
    }

    private void Participate(PhasedJob job, int worker)
    {
        for (var phase = 0; phase < _phases; phase++)
        {
            var chunks = _chunks[phase];
            var firstHalf = (chunks + 1) / 2;
            var ran = 0;
            for (var pass = 0; pass < 2; pass++)
            {
                var half = pass == 0 ? worker : 1 - worker;
                var start = half == 0 ? 0 : firstHalf;
                var size = half == 0 ? firstHalf : chunks - firstHalf;
                ref var claim = ref _claims[(phase * 2 + half) * Pad];
                while (true)
                {
                    var i = Interlocked.Increment(ref claim) - 1;
                    if (i >= size)
                    {
                        break;
                    }
                    job.RunChunk(phase, start + i);
                    ran++;
                }
            }
            ref var done = ref _done[phase * Pad];
            if (Interlocked.Add(ref done, ran) != chunks)
            {
                // The other thread still runs a chunk it claimed: wait for it (the next phase reads its output).
                var spin = new SpinWait();
                while (Volatile.Read(ref done) != chunks)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        }
    }

    private void Loop()
    {
        var seen = 0L;
        var idleSince = Stopwatch.GetTimestamp();
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var generation = state >> 2;
            if (generation != seen)
            {
                seen = generation;
                // Read the job before joining: once the caller has closed or finished the job it may clear the field,
                // but then the join fails, so a successful join always has this generation's job.
                var job = Volatile.Read(ref _job);
                if ((state & 3) == Open && job is not null
                    && Interlocked.CompareExchange(ref _state, (generation << 2) | Joined, state) == state)
                {
                    Interlocked.Increment(ref _joined);
                    Participate(job, 1);
                    Volatile.Write(ref _state, (generation << 2) | Left);
                }
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }
            var idle = Stopwatch.GetTimestamp() - idleSince;
            if (idle < _spinTicks)
            {
                // Pure spinning for the first tenth, then yielding spins: on a machine whose other threads (a
                // service's request threads) want the core, they get it, and the helper still notices a job soon.
                if (idle < _spinTicks / 10)
                {
                    Thread.SpinWait(8);
                }
                else
                {
                    Thread.Yield();
                }
                continue;
            }
            // Park. Dekker-style: announce, then look once more, so a job published meanwhile is not missed.
            Interlocked.Exchange(ref _parked, 1);
            if ((Volatile.Read(ref _state) >> 2) != seen)
            {
                if (Interlocked.Exchange(ref _parked, 0) == 0)
                {
                    _wake.Wait(); // a caller took the flag and released the semaphore: consume that release
                }
            }
            else
            {
                _wake.Wait();
            }
            idleSince = Stopwatch.GetTimestamp();
        }
    }
}
