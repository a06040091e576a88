using System.Runtime;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Measures how many native tensors an action leaves alive.</summary>
internal static class LeakCheck
{
    /// <summary>Runs <paramref name="action"/> once to warm up, then <paramref name="repetitions"/> times, and returns
    /// how many more live tensors exist afterwards (0 when the action disposes everything it makes).</summary>
    /// <remarks>The repetitions run in a no-GC region where the runtime grants one: a leaked tensor's finalizer also
    /// lowers <see cref="LiveTensors.Count"/>, so a garbage collection during the loop could hide a leak.</remarks>
    public static long LiveTensorsAddedBy(Action action, int repetitions = 200)
    {
        action();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = LiveTensors.Count;
        var noGc = GC.TryStartNoGCRegion(32L * 1024 * 1024);
        try
        {
            for (var i = 0; i < repetitions; i++)
            {
                action();
            }
            return LiveTensors.Count - before;
        }
        finally
        {
            if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }
}
