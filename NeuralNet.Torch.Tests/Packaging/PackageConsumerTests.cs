using System.Text.RegularExpressions;
using NeuralNet.Torch.Build;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Packaging;

/// <summary>A user's first five minutes: pack the library, create a brand-new console app that references the package
/// and TorchSharp-cpu, paste the README's snippet as its Program.cs, build and run it.</summary>
[Category("Packaging")]
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    [Test]
    public void ReadmeSnippet_InAFreshAppReferencingThePackage_BuildsLoadsAndPredicts()
    {
        using var temp = new TempFolder();
        var folder = temp.Path;
        var feed = Path.Combine(folder, "feed");
        var app = Path.Combine(folder, "app");
        Directory.CreateDirectory(app);
        var version = $"0.0.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmssfff}";

        Dotnet(TestPaths.RepositoryRoot, "pack", Path.Combine("NeuralNet.Torch", "NeuralNet.Torch.csproj"),
            "--no-build", "-c", ProcessRunner.Configuration, "-o", feed, $"-p:PackageVersion={version}");
        ShouldHoldTheLibraryItsDocsAndTheBuildStep(Path.Combine(feed, $"NeuralNet.Torch.{version}.nupkg"));
        File.Exists(Path.Combine(feed, $"NeuralNet.Torch.{version}.snupkg")).Should().BeTrue("a symbols package is produced");

        // The app lives outside the repository (no Directory.Build.* applies). Packages restore into a private
        // folder so a test version never lands in the machine's NuGet cache; TorchSharp comes from that cache.
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(folder, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{TestPaths.NuGetPackageRoot}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NeuralNet.Torch" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="{TestPaths.TorchSharpVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeProgramSnippet());

        Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(app, "out"));
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", [Path.Combine(app, "out", "App.dll")], app, Step);

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
    }

    private static string ReadmeProgramSnippet()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var match = Regex.Match(readme, @"<!-- snippet: program -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline);
        match.Success.Should().BeTrue("README.md marks its Program.cs snippet with <!-- snippet: program -->");
        return match.Groups["code"].Value;
    }

    private static void Dotnet(string workingDirectory, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", arguments, workingDirectory, Step);
        exitCode.Should().Be(0, $"dotnet {string.Join(' ', arguments)} failed:\n{stdout}\n{stderr}");
    }
}
