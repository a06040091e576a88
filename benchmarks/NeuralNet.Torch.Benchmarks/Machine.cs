using System.Runtime.InteropServices;
using NeuralNet.Torch.Inference;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>Where a run ran: the CPU's model and SIMD tier, which every figure must name, and what this CPU cannot
/// run.</summary>
internal static class Machine
{
    /// <summary>One line: the CPU model (<c>lscpu</c>'s model name, with family and model), its SIMD flags, the width
    /// the packed kernels use in this process, and the cores.</summary>
    public static string Describe()
    {
        var info = CpuInfo();
        var model = info.GetValueOrDefault("model name", RuntimeInformation.ProcessArchitecture.ToString());
        var family = info.TryGetValue("cpu family", out var f) ? $" (family {f}, model {info.GetValueOrDefault("model", "?")})" : "";
        var flags = info.TryGetValue("flags", out var all) ? all.Split(' ').ToHashSet() : [];
        var tier = flags.Contains("avx512f") ? "AVX-512" : flags.Contains("avx2") ? "AVX2" : flags.Count > 0 ? "SSE" : RuntimeInformation.ProcessArchitecture.ToString();
        var bf16 = flags.Contains("avx512_bf16") ? " + AVX512_BF16" : "";
        return $"CPU: {model}{family}, {tier}{bf16}; packed kernels: {PackedInference.VectorBits}-bit (.NET's vectors; libtorch and ONNX Runtime use the CPU's full width); cores: {Environment.ProcessorCount}";
    }

    /// <summary>Why the bf16 rows cannot run here, or null when they can.</summary>
    public static string? NoBFloat16 =>
        HasAvx512BFloat16 ? null : "this CPU (as .NET sees it) has no AVX512_BF16, so the library refuses InferencePrecision.BFloat16";

    // The library's own test (internal: the benchmarks see no internals, whose generated ONNX classes would clash with
    // OnnxSharp's), so the rows refuse exactly where the library does.
    private static bool HasAvx512BFloat16 =>
        (bool)typeof(PackedInference).Assembly.GetType("NeuralNet.Torch.Inference.CpuFeatures")!
            .GetProperty("HasAvx512BFloat16")!.GetValue(null)!;

    private static Dictionary<string, string> CpuInfo()
    {
        var fields = new Dictionary<string, string>();
        if (!File.Exists("/proc/cpuinfo"))
        {
            return fields;
        }
        foreach (var line in File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0))
        {
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        return fields;
    }
}
