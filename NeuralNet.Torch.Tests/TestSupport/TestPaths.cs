using System.Reflection;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Where the tests find the repository, the shared fixtures and the restored packages.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding NeuralNet.Torch.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The team's shared fixtures (<c>../shared/fixtures</c> beside the checkout), or null where absent.</summary>
    public static string? SharedFixtures
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures"));
            return Directory.Exists(path) ? path : null;
        }
    }

    /// <summary>The NuGet package folder the tests were restored from.</summary>
    public static string NuGetPackageRoot => Metadata("NuGetPackageRoot");

    /// <summary>The TorchSharp version pinned in Directory.Packages.props.</summary>
    public static string TorchSharpVersion => Metadata("TorchSharpVersion");

    /// <summary>The shared fixture at <paramref name="relativePath"/>; ignores the test with a reason when absent.</summary>
    public static string RequireSharedFixture(string relativePath)
    {
        var root = SharedFixtures;
        if (root is null)
        {
            Assert.Ignore("Needs ../shared/fixtures beside the checkout (the team's real PyTorch/MNIST files); not present here.");
        }
        var path = Path.Combine(root!, relativePath);
        if (!File.Exists(path))
        {
            Assert.Ignore($"Needs the shared fixture {relativePath}; not present here.");
        }
        return path;
    }

    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is empty.");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NeuralNet.Torch.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"NeuralNet.Torch.sln not found above {AppContext.BaseDirectory}.");
    }
}
