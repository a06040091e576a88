using Microsoft.Extensions.Logging;
using NeuralNet.Torch.Native;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Native;

/// <summary>The checks made before anything in a libtorch folder is loaded (empty files stand in for the libraries).</summary>
public sealed class LibTorchFolderTests
{
    [Test]
    public void Inspect_MissingFolder_NamesTheFolderAndWhatWasExpected()
    {
        using var temp = new TempFolder();
        var missing = temp.File("nowhere");

        var act = () => LibTorchFolder.Inspect(missing, "NEURALNET_LIBTORCH_DIR");

        act.Should().Throw<InvalidOperationException>()
            .WithMessage($"NEURALNET_LIBTORCH_DIR is '{missing}', but that folder does not exist: expected a folder holding libtorch.so, libtorch_cpu.so and libc10.so*");
    }

    [Test]
    public void Inspect_FolderWithoutLibTorch_SaysLibTorchSoIsMissing()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("libc10.so"), []);

        var act = () => LibTorchFolder.Inspect(temp.Path, "TorchRuntime.UseLibTorch");

        act.Should().Throw<InvalidOperationException>()
            .WithMessage($"TorchRuntime.UseLibTorch is '{temp.Path}', but there is no libtorch.so in it: expected*torch/lib*");
    }

    [Test]
    public void Inspect_LibTorchWithoutItsCpuLibrary_NamesEachMissingLibrary()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("libtorch.so"), []);

        var act = () => LibTorchFolder.Inspect(temp.Path, "NEURALNET_LIBTORCH_DIR");

        act.Should().Throw<InvalidOperationException>().WithMessage("*it has libtorch.so but no libc10.so and no libtorch_cpu.so:*");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Inspect_CompleteFolder_ReportsCudaByLibTorchCuda(bool cuda)
    {
        using var temp = new TempFolder();
        var names = LibTorchFolder.Required.Concat(cuda ? LibTorchFolder.Cuda : []);
        foreach (var name in names)
        {
            File.WriteAllBytes(temp.File(name), []);
        }

        var folder = LibTorchFolder.Inspect(temp.Path + "/", "NEURALNET_LIBTORCH_DIR");

        folder.Path.Should().Be(temp.Path);
        folder.HasCuda.Should().Be(cuda);
        folder.Version.Should().BeNull();
        folder.VersionText.Should().Be("of unknown version");
    }

    [Test]
    public void WarnIfOtherRelease_AnotherRelease_WritesOneLineNamingBothVersions()
    {
        using var temp = new TempFolder();
        var folder = CompleteWheel(temp, "2.11.0+cu130");
        using var standardError = new StringWriter();

        TorchRuntime.WarnIfOtherRelease(folder, null, standardError);

        standardError.ToString().Should().Be($"warning: NeuralNet.Torch: the libtorch in '{folder.Path}' (NEURALNET_LIBTORCH_DIR) is version " +
            $"2.11.0+cu130 (from {temp.File("torch/version.py")}), but TorchSharp {TestPaths.TorchSharpVersion}'s native glue was built " +
            $"against libtorch 2.10.x: it is used anyway, and only what your own checks run on it is known to work.{Environment.NewLine}");
    }

    [Test]
    public void WarnIfOtherRelease_WithALogger_LogsAWarningInsteadOfWriting()
    {
        using var temp = new TempFolder();
        var folder = CompleteWheel(temp, null);
        using var standardError = new StringWriter();
        var logger = new RecordingLogger();

        TorchRuntime.WarnIfOtherRelease(folder, logger, standardError);

        standardError.ToString().Should().BeEmpty();
        logger.Entries.Should().ContainSingle().Which.Should().Match<(LogLevel Level, string Message)>(e =>
            e.Level == LogLevel.Warning && e.Message.Contains("is of unknown version (none of these says: ../version.py of a PyTorch wheel"));
    }

    [TestCase("2.10.0")]
    [TestCase("2.10.1+cu128")]
    public void WarnIfOtherRelease_TheGluesRelease_SaysNothing(string version)
    {
        using var temp = new TempFolder();
        using var standardError = new StringWriter();

        TorchRuntime.WarnIfOtherRelease(CompleteWheel(temp, version), null, standardError);

        standardError.ToString().Should().BeEmpty();
    }

    private static LibTorchFolder CompleteWheel(TempFolder temp, string? version)
    {
        var lib = Directory.CreateDirectory(temp.File("torch/lib")).FullName;
        foreach (var name in LibTorchFolder.Required)
        {
            File.WriteAllBytes(Path.Combine(lib, name), []);
        }
        if (version is not null)
        {
            File.WriteAllText(temp.File("torch/version.py"), $"__version__ = '{version}'\n");
        }
        return LibTorchFolder.Inspect(lib, "NEURALNET_LIBTORCH_DIR");
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
