using System.Text;
using System.Text.RegularExpressions;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>The C# blocks of README.md and docs/*.md. A runnable block is a whole <c>Program.cs</c> (using directives,
/// top-level statements, then type declarations) marked by a line <c>&lt;!-- snippet: NAME --&gt;</c> just before its
/// <c>```csharp</c> fence.</summary>
internal static partial class MarkdownSnippets
{
    /// <summary>One marked block.</summary>
    /// <param name="Name">The marker's name, unique across the documents.</param>
    /// <param name="File">The document, relative to the repository root (<c>docs/serving.md</c>).</param>
    /// <param name="Line">The 1-based line of the block's first code line in <paramref name="File"/>.</param>
    /// <param name="Code">The block's text, lines ending in <c>\n</c>.</param>
    public sealed record Snippet(string Name, string File, int Line, string Code)
    {
        public override string ToString() => $"{Name} ({File}:{Line})";
    }

    /// <summary>A C# block without a marker, or a marker without a C# block after it.</summary>
    public sealed record Problem(string File, int Line, string What)
    {
        public override string ToString() => $"{File}:{Line}: {What}";
    }

    /// <summary>README.md and every docs/*.md, relative to the repository root, in a stable order.</summary>
    public static IReadOnlyList<string> Documents() =>
    [
        "README.md",
        .. Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "docs"), "*.md")
            .Select(path => "docs/" + Path.GetFileName(path))
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Every marked block of <see cref="Documents"/>.</summary>
    public static IReadOnlyList<Snippet> All() => Documents().SelectMany(document => Scan(document).Snippets).ToList();

    /// <summary>Every C# block without a marker and every marker without a C# block.</summary>
    public static IReadOnlyList<Problem> Problems() => Documents().SelectMany(document => Scan(document).Problems).ToList();

    /// <summary>The snippet as one source file of a program that holds several: its using directives, then its
    /// statements as the body of <c>Snippets.S_NAME.Snippet.Run(string[] args)</c>, then its type declarations in the
    /// namespace <c>Snippets.S_NAME</c>. <c>#line</c> directives point compiler errors at the document's lines.</summary>
    /// <remarks>The split is by lines: the leading <c>using</c> directives (with blank and comment lines), then the
    /// statements up to the first line that starts a type declaration at column 0 (<c>public sealed class Net</c>),
    /// then the rest. A snippet's statements must not <c>return</c> a value: it fails by throwing.</remarks>
    public static string ToSourceFile(Snippet snippet)
    {
        var lines = snippet.Code.TrimEnd('\n').Split('\n');
        var bodyStart = 0;
        while (bodyStart < lines.Length && (UsingDirective().IsMatch(lines[bodyStart]) || lines[bodyStart].Trim().Length == 0 || IsComment(lines[bodyStart])))
        {
            bodyStart++;
        }
        while (bodyStart > 0 && IsComment(lines[bodyStart - 1]))
        {
            bodyStart--; // a comment right before the first statement belongs to it
        }
        var typesStart = Array.FindIndex(lines, bodyStart, line => TypeDeclaration().IsMatch(line));
        if (typesStart < 0)
        {
            typesStart = lines.Length;
        }
        while (typesStart > bodyStart && IsComment(lines[typesStart - 1]))
        {
            typesStart--; // and one right before a type declaration to the type
        }

        // The document's full path (forward slashes: #line takes the name as written), so errors point into it.
        var file = Path.Combine(TestPaths.RepositoryRoot, snippet.File).Replace('\\', '/');
        var source = new StringBuilder();
        source.Append("// Generated from ").Append(snippet.File).Append(", snippet '").Append(snippet.Name).Append("'.\n");
        source.Append("#line ").Append(snippet.Line).Append(" \"").Append(file).Append("\"\n");
        AppendLines(source, lines, 0, bodyStart);
        source.Append("#line default\n");
        source.Append("namespace Snippets.").Append(Identifier(snippet.Name)).Append(";\n\n");
        source.Append("internal static class Snippet\n{\n    public static async Task Run(string[] args)\n    {\n");
        source.Append("#line ").Append(snippet.Line + bodyStart).Append(" \"").Append(file).Append("\"\n");
        AppendLines(source, lines, bodyStart, typesStart);
        source.Append("#line default\n    }\n}\n\n");
        if (typesStart < lines.Length)
        {
            source.Append("#line ").Append(snippet.Line + typesStart).Append(" \"").Append(file).Append("\"\n");
            AppendLines(source, lines, typesStart, lines.Length);
        }
        return source.ToString();
    }

    /// <summary>A <c>Program.cs</c> that runs the snippet its first argument names, with the remaining arguments.</summary>
    public static string ToDispatcher(IEnumerable<Snippet> snippets)
    {
        var source = new StringBuilder("var snippets = new Dictionary<string, Func<string[], Task>>\n{\n");
        foreach (var snippet in snippets)
        {
            source.Append("    [\"").Append(snippet.Name).Append("\"] = Snippets.").Append(Identifier(snippet.Name)).Append(".Snippet.Run,\n");
        }
        source.Append("""
            };
            if (args.Length == 0 || !snippets.TryGetValue(args[0], out var run))
            {
                Console.Error.WriteLine($"usage: App {string.Join('|', snippets.Keys)} [ARGS]");
                return 2;
            }
            await run(args[1..]);
            return 0;

            """);
        return source.ToString();
    }

    /// <summary>The class-name-safe form of a snippet name: <c>S_</c>, then letters, digits and underscores.</summary>
    public static string Identifier(string name) => "S_" + NonWord().Replace(name, "_");

    private static (List<Snippet> Snippets, List<Problem> Problems) Scan(string document)
    {
        var lines = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, document)).ReplaceLineEndings("\n").Split('\n');
        var snippets = new List<Snippet>();
        var problems = new List<Problem>();
        (string Name, int Line)? marker = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (fence.Success)
            {
                var language = fence.Groups["language"].Value;
                var end = Array.FindIndex(lines, i + 1, line => line.TrimStart().StartsWith(fence.Groups["fence"].Value, StringComparison.Ordinal));
                if (end < 0)
                {
                    problems.Add(new Problem(document, i + 1, "a code block that is never closed"));
                    break;
                }
                if (language is "csharp" or "cs" or "c#")
                {
                    if (marker is { } m)
                    {
                        snippets.Add(new Snippet(m.Name, document, i + 2, string.Concat(lines[(i + 1)..end].Select(line => line + "\n"))));
                    }
                    else
                    {
                        problems.Add(new Problem(document, i + 1, "a C# block without a '<!-- snippet: NAME -->' line before it"));
                    }
                }
                else if (marker is { } m)
                {
                    problems.Add(new Problem(document, m.Line, $"the marker '{m.Name}' is followed by a '{language}' block, not a C# one"));
                }
                marker = null;
                i = end;
                continue;
            }
            var match = Marker().Match(lines[i]);
            if (match.Success)
            {
                if (marker is { } previous)
                {
                    problems.Add(new Problem(document, previous.Line, $"the marker '{previous.Name}' is not followed by a C# block"));
                }
                marker = (match.Groups["name"].Value, i + 1);
            }
            else if (lines[i].Trim().Length > 0 && marker is { } m)
            {
                problems.Add(new Problem(document, m.Line, $"the marker '{m.Name}' is not followed by a C# block"));
                marker = null;
            }
        }
        if (marker is { } last)
        {
            problems.Add(new Problem(document, last.Line, $"the marker '{last.Name}' is not followed by a C# block"));
        }
        return (snippets, problems);
    }

    private static void AppendLines(StringBuilder source, string[] lines, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            source.Append(lines[i]).Append('\n');
        }
    }

    private static bool IsComment(string line) => line.TrimStart().StartsWith("//", StringComparison.Ordinal);

    [GeneratedRegex(@"^\s*(?<fence>`{3,})(?<language>[^`\s]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^<!--\s*snippet:\s*(?<name>[A-Za-z0-9_-]+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^using\s+(static\s+)?([A-Za-z_]\w*\s*=\s*)?[A-Za-z_][\w.]*\s*;")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^((public|internal|file|sealed|abstract|static|partial|readonly)\s+)*(class|record|struct|interface|enum)\b")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\W")]
    private static partial Regex NonWord();
}
