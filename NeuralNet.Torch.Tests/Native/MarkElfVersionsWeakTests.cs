using System.Collections;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using NeuralNet.Torch.Build;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Native;

public sealed class MarkElfVersionsWeakTests
{
    [Test]
    public void Execute_MixedFiles_PatchesTheElf_WarnsOnNonElf_SkipsMissing()
    {
        using var temp = new TempFolder();
        var folder = temp.Path;
        var elf = Path.Combine(folder, "libLibTorchSharp.so");
        File.WriteAllBytes(elf, ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", 0)));
        var text = Path.Combine(folder, "notes.so");
        File.WriteAllText(text, "plain text, not a shared library");
        var engine = new RecordingBuildEngine();
        var task = new MarkElfVersionsWeak
        {
            BuildEngine = engine,
            Files = [new TaskItem(elf), new TaskItem(text), new TaskItem(Path.Combine(folder, "missing.so"))],
            Versions = ["GLIBCXX_3.4.32"],
        };

        task.Execute().Should().BeTrue();

        ElfVersionPatcher.Patch(File.ReadAllBytes(elf), ["GLIBCXX_3.4.32"]).Should().Be(ElfPatchOutcome.AlreadyWeak);
        File.ReadAllText(text).Should().Be("plain text, not a shared library");
        engine.Warnings.Should().ContainSingle().Which.Should().Contain("notes.so").And.Contain("not a 64-bit little-endian ELF");
        engine.Errors.Should().BeEmpty();
    }

    private sealed class RecordingBuildEngine : IBuildEngine
    {
        public List<string> Warnings { get; } = [];

        public List<string> Errors { get; } = [];

        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => "test.proj";

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;

        public void LogCustomEvent(CustomBuildEventArgs e)
        {
        }

        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? "");

        public void LogMessageEvent(BuildMessageEventArgs e)
        {
        }

        public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e.Message ?? "");
    }
}
