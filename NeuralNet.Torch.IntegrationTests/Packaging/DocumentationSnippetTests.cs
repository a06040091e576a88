using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Packaging;

/// <summary>Every C# block of README.md and docs/*.md is a whole program that builds against the packed library and
/// runs to exit code 0. All snippets are compiled into ONE fresh console project (one file each, plus a Program.cs
/// that runs the snippet its first argument names), built once; each test case runs one snippet in a folder of its
/// own. See docs/testing.md, "The code in these documents".</summary>
[Category("Packaging")]
public sealed class DocumentationSnippetTests
{
    private static readonly TimeSpan Run = TimeSpan.FromMinutes(2);

    private TempFolder _temp = null!;
    private Lazy<string> _app = null!;

    [OneTimeSetUp]
    public void Prepare()
    {
        _temp = new TempFolder();
        _app = new Lazy<string>(BuildApp); // built by the first case that runs; a failed build fails every case
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    private static IEnumerable<TestCaseData> Snippets() =>
        MarkdownSnippets.All().Select(s => new TestCaseData(s.Name).SetArgDisplayNames(s.Name));

    [Test]
    public void CSharpBlocks_InTheReadmeAndDocs_AreAllMarkedSnippetsWithUniqueNames()
    {
        MarkdownSnippets.Problems().Should().BeEmpty("every ```csharp block is a whole program marked <!-- snippet: NAME --> so that it is compiled and run");
        var names = MarkdownSnippets.All().Select(s => s.Name).ToList();
        names.Should().OnlyHaveUniqueItems().And.Contain("program");
        MarkdownSnippets.Documents().Should().HaveCountGreaterThan(1, "docs/*.md are read too");
    }

    [TestCaseSource(nameof(Snippets))]
    public void Snippet_InAFreshAppReferencingThePackage_BuildsAndRunsToExitCodeZero(string name)
    {
        var snippet = MarkdownSnippets.All().Single(s => s.Name == name);
        var app = _app.Value;
        var folder = Directory.CreateDirectory(Path.Combine(_temp.Path, "run", name)).FullName;

        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", [Path.Combine(app, "out", "App.dll"), name], folder, Run);

        exitCode.Should().Be(0, $"snippet {snippet} ended with exit code {exitCode}:\n{stdout}\n{stderr}");
    }

    private string BuildApp()
    {
        var feed = Path.Combine(_temp.Path, "feed");
        var app = Path.Combine(_temp.Path, "app");
        var version = ConsumerProject.PackLibrary(feed);
        // Beyond the library and a backend: a host for the DI snippets and ONNX Runtime's native runtime for the
        // OnnxRuntime engine. Hard links keep the ~1 GB libtorch copy out of the build time.
        ConsumerProject.Create(app, feed, version, ["Microsoft.Extensions.Hosting", "Microsoft.ML.OnnxRuntime"], """

                <CreateHardLinksForCopyLocalIfPossible>true</CreateHardLinksForCopyLocalIfPossible>
                <NoWarn>$(NoWarn);CS1998</NoWarn>
            """);
        var snippets = MarkdownSnippets.All();
        foreach (var snippet in snippets)
        {
            File.WriteAllText(Path.Combine(app, MarkdownSnippets.Identifier(snippet.Name) + ".cs"), MarkdownSnippets.ToSourceFile(snippet));
        }
        File.WriteAllText(Path.Combine(app, "Program.cs"), MarkdownSnippets.ToDispatcher(snippets));
        ConsumerProject.Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(app, "out"));
        return app;
    }
}
