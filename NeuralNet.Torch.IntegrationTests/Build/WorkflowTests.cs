using System.Text.RegularExpressions;
using NeuralNet.Torch.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace NeuralNet.Torch.Tests.Build;

/// <summary>The GitHub Actions workflow for users' hosting parses, has its three kinds of job, and runs the README's
/// commands (it cannot be run here).</summary>
[Category("Build")]
public sealed class WorkflowTests
{
    private static YamlMappingNode Jobs()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(TestPaths.RepositoryRoot, ".github", "workflows", "ci.yml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        return (YamlMappingNode)root["jobs"];
    }

    [Test]
    public void Workflow_Parses_WithCpuLinuxGpuAndWindowsJobs()
    {
        var jobs = Jobs();

        jobs.Children.Keys.Select(k => k.ToString()).Should().BeEquivalentTo("cpu-linux", "gpu-linux", "windows");
        var matrix = (YamlSequenceNode)jobs["cpu-linux"]["strategy"]["matrix"]["os"];
        matrix.Children.Select(n => n.ToString()).Should().Contain("ubuntu-22.04");
        ((YamlSequenceNode)jobs["gpu-linux"]["runs-on"]).Children.Select(n => n.ToString()).Should().Contain(["self-hosted", "gpu"]);
        jobs["windows"]["runs-on"].ToString().Should().StartWith("windows");
    }

    [Test]
    public void Workflow_EveryDotnetCommand_IsOneTheReadmeGives()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var commands = Jobs().Children.Values
            .SelectMany(job => ((YamlSequenceNode)job["steps"]).Children.Cast<YamlMappingNode>())
            .Where(step => step.Children.ContainsKey("run"))
            .Select(step => step["run"].ToString())
            .Where(run => run.StartsWith("dotnet ", StringComparison.Ordinal))
            .ToArray();

        commands.Should().HaveCountGreaterThanOrEqualTo(4);
        commands.Should().Contain(c => c.Contains("-p:TorchBackend=cuda-linux"));
        foreach (var command in commands)
        {
            // Reporting options (trx logger, results folder) are CI's own; the command itself must be the README's.
            var core = Regex.Replace(command, @" --(logger|results-directory) \S+", "");
            readme.Should().Contain($"`{core}`", $"the workflow runs '{command}'");
        }
    }
}
