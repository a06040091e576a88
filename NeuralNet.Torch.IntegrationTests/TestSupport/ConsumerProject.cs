using System.Xml.Linq;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>A user's application outside the repository: the library packed into a local feed, and a fresh console
/// project that references that package, TorchSharp-cpu and any other packages, with no Directory.Build.* applying.</summary>
internal static class ConsumerProject
{
    /// <summary>The longest a pack, build or run step may take.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>Packs the built library into <paramref name="feed"/> under a version no cache has seen.</summary>
    /// <returns>The package version.</returns>
    public static string PackLibrary(string feed)
    {
        var version = $"0.0.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Dotnet(TestPaths.RepositoryRoot, "pack", Path.Combine("NeuralNet.Torch", "NeuralNet.Torch.csproj"),
            "--no-build", "-c", ProcessRunner.Configuration, "-o", feed, $"-p:PackageVersion={version}");
        return version;
    }

    /// <summary>Writes <c>nuget.config</c> and <c>App.csproj</c> into <paramref name="app"/>: an executable referencing
    /// NeuralNet.Torch <paramref name="version"/> from <paramref name="feed"/>, TorchSharp-cpu and
    /// <paramref name="packages"/> (ids pinned in Directory.Packages.props).</summary>
    /// <param name="app">The project folder (created if missing); packages restore into <c>packages</c> beside it.</param>
    /// <param name="feed">The folder <see cref="PackLibrary"/> packed into.</param>
    /// <param name="version">What <see cref="PackLibrary"/> returned.</param>
    /// <param name="packages">More package ids.</param>
    /// <param name="properties">More MSBuild properties, as XML elements.</param>
    public static void Create(string app, string feed, string version, IEnumerable<string>? packages = null, string properties = "")
    {
        Directory.CreateDirectory(app);
        // Packages restore into a private folder beside the project (inside it, their sources would be compiled in)
        // so a test version never lands in the machine's NuGet cache; the others come from that cache.
        var packagesFolder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(app))!, "packages");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var references = string.Concat((packages ?? []).Select(id =>
            $"\n    <PackageReference Include=\"{id}\" Version=\"{PinnedVersion(id)}\" />"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{packagesFolder}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{TestPaths.NuGetPackageRoot}</RestoreAdditionalProjectFallbackFolders>{properties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NeuralNet.Torch" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="{TestPaths.TorchSharpVersion}" />{references}
              </ItemGroup>
            </Project>
            """);
    }

    /// <summary>Runs <c>dotnet</c> and fails the test with its output unless it exits with 0.</summary>
    public static void Dotnet(string workingDirectory, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", arguments, workingDirectory, Step);
        exitCode.Should().Be(0, $"dotnet {string.Join(' ', arguments)} failed:\n{stdout}\n{stderr}");
    }

    /// <summary>The version Directory.Packages.props pins for <paramref name="id"/>.</summary>
    private static string PinnedVersion(string id)
    {
        var props = XDocument.Load(Path.Combine(TestPaths.RepositoryRoot, "Directory.Packages.props"));
        var version = props.Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == id).Attribute("Version")!.Value;
        return version.Contains("$(", StringComparison.Ordinal)
            ? throw new InvalidOperationException($"{id}'s version is an MSBuild property ({version}); pass a literal one.")
            : version;
    }
}
