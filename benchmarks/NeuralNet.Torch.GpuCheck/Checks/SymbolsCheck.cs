using System.Runtime.InteropServices;
using NeuralNet.Torch.Native;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Before the library loads anything: which of the libtorch functions TorchSharp's glue links are missing
/// from the libtorch in NEURALNET_LIBTORCH_DIR. The loader names only the first missing symbol; this lists them all
/// (the count and the first 20), so a release mismatch shows how wide it is.</summary>
internal static class SymbolsCheck
{
    // libtorch's C++ namespaces, as they appear in mangled names (at, c10, torch, caffe2): the symbols the glue needs
    // from libtorch rather than from libstdc++ or glibc.
    private static readonly string[] Namespaces = ["2at", "3c10", "5torch", "6caffe2"];

    private static readonly string[] LoadOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    public static void Run(CheckOutput output)
    {
        var folder = Environment.GetEnvironmentVariable(TorchRuntime.LibTorchDirectoryVariable);
        if (string.IsNullOrWhiteSpace(folder))
        {
            output.Skip($"{TorchRuntime.LibTorchDirectoryVariable} is not set: libtorch comes from a backend package");
            return;
        }
        var glue = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
            .Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
        if (glue is null)
        {
            output.Fail($"libLibTorchSharp.so not found in {AppContext.BaseDirectory}");
            return;
        }
        var needed = ElfSymbols.Undefined(glue).Where(s => Namespaces.Any(s.Contains)).ToList();
        // In the library's order (a distribution's build has no RUNPATH to find its siblings by); dlsym on a handle
        // also searches that library's dependencies.
        var handles = LoadOrder.Select(name => Path.Combine(folder, name)).Where(File.Exists).Select(NativeLibrary.Load).ToList();
        var missing = needed.Where(s => !handles.Any(h => NativeLibrary.TryGetExport(h, s, out _))).ToList();
        output.Number("glue_libtorch_symbols", needed.Count);
        output.Number("missing", missing.Count);
        foreach (var name in missing.Take(20))
        {
            output.Info("missing_symbol", name);
        }
        output.Verdict(missing.Count == 0, missing.Count == 0
            ? $"all {needed.Count} libtorch symbols TorchSharp's glue links are in {folder}"
            : $"{missing.Count} of the {needed.Count} libtorch symbols TorchSharp's glue links are missing from {folder} (first: {missing[0]})");
    }
}
