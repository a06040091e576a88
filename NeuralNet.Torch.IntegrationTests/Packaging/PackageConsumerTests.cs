using System.Text.RegularExpressions;
using NeuralNet.Torch.Build;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Packaging;

/// <summary>A user's first five minutes: pack the library, create a brand-new console app that references the package
/// and TorchSharp-cpu, paste the README's snippet as its Program.cs, build and run it.</summary>
[Category("Packaging")]
public sealed class PackageConsumerTests
{
    [Test]
    public void ReadmeSnippet_InAFreshAppReferencingThePackage_BuildsLoadsAndPredicts()
    {
        using var temp = new TempFolder();
        var feed = Path.Combine(temp.Path, "feed");
        var app = Path.Combine(temp.Path, "app");

        var version = ConsumerProject.PackLibrary(feed);
        ShouldHoldTheLibraryItsDocsAndTheBuildStep(Path.Combine(feed, $"NeuralNet.Torch.{version}.nupkg"));
        File.Exists(Path.Combine(feed, $"NeuralNet.Torch.{version}.snupkg")).Should().BeTrue("a symbols package is produced");

        // The app lives outside the repository (no Directory.Build.* applies).
        ConsumerProject.Create(app, feed, version);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeProgramSnippet());

        ConsumerProject.Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(app, "out"));
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", [Path.Combine(app, "out", "App.dll")], app, ConsumerProject.Step);

        exitCode.Should().Be(0, stderr);
        stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n')
            .Should().HaveCount(3).And.OnlyContain(line => Regex.IsMatch(line, @"^class [0-9], probability [01]\.[0-9]{3}$"));
        var native = File.ReadAllBytes(Path.Combine(app, "out", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
        ElfVersionPatcher.Patch(native, ["GLIBCXX_3.4.32"]).Should().Be(ElfPatchOutcome.AlreadyWeak,
            "the package's buildTransitive targets patched the consumer's output copy");
    }

    private static void ShouldHoldTheLibraryItsDocsAndTheBuildStep(string package)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        zip.Entries.Select(e => e.FullName).Should().Contain([
            "lib/net10.0/NeuralNet.Torch.dll",
            "lib/net10.0/NeuralNet.Torch.xml",
            "README.md",
            "buildTransitive/NeuralNet.Torch.targets",
            "buildTransitive/MarkElfVersionsWeak.cs",
        ]);
        using var reader = new StreamReader(zip.GetEntry("NeuralNet.Torch.nuspec")!.Open());
        var nuspec = System.Xml.Linq.XDocument.Parse(reader.ReadToEnd());
        var ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        metadata.Element(ns + "license")!.Value.Should().Be("MIT");
        metadata.Element(ns + "readme")!.Value.Should().Be("README.md");
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
        dependencies.Should().Contain("TorchSharp", "the library needs the managed bindings");
        dependencies.Should().NotContain(d => d.StartsWith("TorchSharp-", StringComparison.Ordinal) || d.StartsWith("libtorch", StringComparison.Ordinal),
            "the application, not the library, chooses the libtorch backend");
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        foreach (var dependency in dependencies)
        {
            readme.Should().Contain($"`{dependency}`", "the README names every package the library depends on");
        }
    }

    private static string ReadmeProgramSnippet()
    {
        var snippet = MarkdownSnippets.All().SingleOrDefault(s => s.Name == "program");
        snippet.Should().NotBeNull("README.md marks its Program.cs snippet with <!-- snippet: program -->");
        snippet!.File.Should().Be("README.md");
        return snippet.Code;
    }
}
