using NeuralNet.Torch.Build;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Native;

public sealed class ElfVersionPatcherTests
{
    private static readonly string[] Glibcxx332 = ["GLIBCXX_3.4.32"];
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void Patch_RealLibTorchSharp_SetsOnlyTheWeakBitOfGlibcxx3432()
    {
        var original = File.ReadAllBytes(PackagedLibTorchSharp());
        var image = (byte[])original.Clone();

        var outcome = ElfVersionPatcher.Patch(image, Glibcxx332);

        outcome.Should().Be(ElfPatchOutcome.Patched);
        var offsets = ElfVersionPatcher.FindVernauxFlagOffsets(original, Glibcxx332);
        offsets.Should().ContainSingle("TorchSharp 0.107 needs GLIBCXX_3.4.32 from libstdc++ once");
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != image[i]).ToArray();
        differing.Should().Equal([(int)offsets![0]], "only the low byte of vna_flags may change");
        (image[differing[0]] ^ original[differing[0]]).Should().Be(ElfVersionPatcher.VerFlagWeak);
        image.Length.Should().Be(original.Length);
    }

    [Test]
    public void Patch_SecondRun_ChangesNothing()
    {
        var image = File.ReadAllBytes(PackagedLibTorchSharp());
        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.Patched);
        var once = (byte[])image.Clone();

        var outcome = ElfVersionPatcher.Patch(image, Glibcxx332);

        outcome.Should().Be(ElfPatchOutcome.AlreadyWeak);
        image.Should().Equal(once);
    }

    [Test]
    public void BuildOutput_CopyOfLibTorchSharp_IsPatched_AndThePackageCacheIsNot()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var packaged = File.ReadAllBytes(PackagedLibTorchSharp());
        var copied = File.ReadAllBytes(output);

        var offset = ElfVersionPatcher.FindVernauxFlagOffsets(copied, Glibcxx332)!.Single();
        (copied[offset] & ElfVersionPatcher.VerFlagWeak).Should().Be(ElfVersionPatcher.VerFlagWeak, "the build step patched the output copy");
        (packaged[offset] & ElfVersionPatcher.VerFlagWeak).Should().Be(0, "the NuGet cache must never be modified");
        ElfVersionPatcher.Patch(packaged, Glibcxx332);
        copied.Should().Equal(packaged, "the output copy differs from the package's file by that bit alone");
    }

    [Test]
    public void Patch_SyntheticImage_MarksOnlyTheNamedVersion()
    {
        var image = ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.30", 0), ("GLIBCXX_3.4.32", 0), ("CXXABI_1.3.15", 0));
        var offsets = ElfVersionPatcher.FindVernauxFlagOffsets(image, ["GLIBCXX_3.4.30", "GLIBCXX_3.4.32", "CXXABI_1.3.15"])!;
        var before = (byte[])image.Clone();

        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.Patched);

        image[offsets[0]].Should().Be(0);
        image[offsets[1]].Should().Be((byte)ElfVersionPatcher.VerFlagWeak);
        image[offsets[2]].Should().Be(0);
        Enumerable.Range(0, image.Length).Count(i => image[i] != before[i]).Should().Be(1);
    }

    [Test]
    public void Patch_OtherFlagsSet_KeepsThem()
    {
        var image = ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", 0x1));
        var offset = ElfVersionPatcher.FindVernauxFlagOffsets(image, Glibcxx332)!.Single();

        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.Patched);

        image[offset].Should().Be(0x3);
    }

    [Test]
    public void Patch_AlreadyWeakImage_ReportsAlreadyWeak()
    {
        var image = ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", ElfVersionPatcher.VerFlagWeak));
        var before = (byte[])image.Clone();

        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.AlreadyWeak);

        image.Should().Equal(before);
    }

    [Test]
    public void Patch_VersionNotRequired_ReportsNotRequired()
    {
        var image = ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.30", 0));
        var before = (byte[])image.Clone();

        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.NotRequired);

        image.Should().Equal(before);
    }

    [TestCase("not an ELF file at all, just text that is long enough to pass the size check of sixty-four bytes")]
    [TestCase("")]
    public void Patch_NonElfBytes_ReportsNotElf(string text)
    {
        var image = System.Text.Encoding.ASCII.GetBytes(text);

        ElfVersionPatcher.Patch(image, Glibcxx332).Should().Be(ElfPatchOutcome.NotElf64LittleEndian);
    }

    [Test]
    public void Patch_TruncatedElf_ReportsNotElfAndChangesNothing()
    {
        var full = ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", 0));
        var truncated = full.Take(full.Length - 100).ToArray();
        var before = (byte[])truncated.Clone();

        ElfVersionPatcher.Patch(truncated, Glibcxx332).Should().Be(ElfPatchOutcome.NotElf64LittleEndian);

        truncated.Should().Equal(before);
    }

    [Test]
    public void PatchFile_HardLinkedCopy_ReplacesTheLinkAndLeavesTheCacheFileAndNoTemporary()
    {
        // MSBuild can hard-link copy-local files to the NuGet cache (CreateHardLinksForCopyLocalIfPossible):
        // writing through such a link would modify the cache.
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "uses ln(1) to make a hard link");
        var original = _temp.File("cache.so");
        File.WriteAllBytes(original, ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", 0)));
        var copy = _temp.File("output.so");
        using (var ln = System.Diagnostics.Process.Start("ln", [original, copy]))
        {
            ln.WaitForExit();
            ln.ExitCode.Should().Be(0);
        }
        var before = File.ReadAllBytes(original);

        ElfVersionPatcher.PatchFile(copy, Glibcxx332).Should().Be(ElfPatchOutcome.Patched);
        ElfVersionPatcher.PatchFile(copy, Glibcxx332).Should().Be(ElfPatchOutcome.AlreadyWeak);

        File.ReadAllBytes(original).Should().Equal(before);
        Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Should().BeEquivalentTo("cache.so", "output.so");
        var offset = ElfVersionPatcher.FindVernauxFlagOffsets(before, Glibcxx332)!.Single();
        File.ReadAllBytes(copy)[offset].Should().Be((byte)ElfVersionPatcher.VerFlagWeak);
    }

    [Test]
    public void PatchFile_ThroughASymbolicLink_ReplacesTheLinkNotItsTarget()
    {
        var target = _temp.File("cache.so");
        File.WriteAllBytes(target, ElfImageBuilder.Build("libstdc++.so.6", ("GLIBCXX_3.4.32", 0)));
        var link = _temp.File("output.so");
        File.CreateSymbolicLink(link, target);
        var before = File.ReadAllBytes(target);

        ElfVersionPatcher.PatchFile(link, Glibcxx332).Should().Be(ElfPatchOutcome.Patched);

        File.ReadAllBytes(target).Should().Equal(before, "a package cache behind a link is never written");
        new FileInfo(link).LinkTarget.Should().BeNull("the link was replaced by a patched regular file");
    }

    private static string PackagedLibTorchSharp()
    {
        var path = Path.Combine(TestPaths.NuGetPackageRoot, "torchsharp", TestPaths.TorchSharpVersion,
            "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        File.Exists(path).Should().BeTrue($"the restored TorchSharp package holds {path}");
        return path;
    }
}
