using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Serving;
using TorchSharp;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using NeuralNet.Torch.Prediction;

namespace NeuralNet.Torch.Tests.Serving;

public sealed class PredictorRegistrationTests
{
    [Test]
    public async Task AddNeuralNetPredictor_WithWeights_LoadsThemLogsAndReportsHealthy()
    {
        using var temp = new TempFolder();
        var folder = temp.Path;
        var weights = Path.Combine(folder, "model.pth");
        torch.manual_seed(21);
        using (var trained = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            trained.SaveCheckpoint(weights);
        }
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddNeuralNetPredictor(o =>
        {
            o.WeightsPath = weights;
            o.Variant = NeuralNetworkVariant.Quickstart;
            o.Device = "cpu";
        });
        builder.Services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");
        using var host = builder.Build();
        await host.StartAsync();

        var predictor = host.Services.GetRequiredService<Predictor>();
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        predictor.Variant.Should().Be(NeuralNetworkVariant.Quickstart);
        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries["model"].Description.Should().Be("The model is loaded and a test forward pass works.");
        report.Entries["model"].Data["device"].Should().Be("cpu");
        logs.Messages.Should().Contain($"Loaded Quickstart weights from {weights}.");
        logs.Messages.Should().Contain(m => m.StartsWith("Predictor ready on cpu", StringComparison.Ordinal));
    }

    [Test]
    public async Task AddNeuralNetPredictor_InvalidOptions_FailStartUpListingEachProblem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddNeuralNetPredictor(o =>
        {
            o.MaxBatchSize = 0;
            o.WeightsPath = "/no/such/model.pth";
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().BeEquivalentTo(
            "MaxBatchSize must be between 1 and 4096; found 0.",
            "WeightsPath '/no/such/model.pth' does not exist or is not a file.");
    }

    [Test]
    public async Task HealthCheck_WeightsThatDoNotFit_IsUnhealthyWithTheReason_AndTheFailureIsLogged()
    {
        using var temp = new TempFolder();
        var folder = temp.Path;
        var weights = Path.Combine(folder, "model.pth");
        File.WriteAllText(weights, "not a checkpoint");
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(logs));
        services.AddNeuralNetPredictor(o => { o.WeightsPath = weights; o.Device = "cpu"; });
        services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        report.Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["model"].Description.Should().StartWith("The model could not be loaded: ").And.Contain(weights);
        logs.Messages.Should().Contain(m => m.StartsWith("Could not load the model: ", StringComparison.Ordinal));
    }

    [Test]
    public void AddNeuralNetPredictor_NoWeights_ServesTheRandomModelAndSaysSo()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(logs));
        services.AddNeuralNetPredictor(o => o.Device = "cpu");
        using var provider = services.BuildServiceProvider();

        var predictor = provider.GetRequiredService<Predictor>();

        predictor.Variant.Should().Be(NeuralNetworkVariant.Documented);
        predictor.ParameterCount.Should().Be(669_706);
        logs.Messages.Should().Contain("No weights configured: serving the randomly initialised Documented model.");
    }

    [Test]
    public async Task AddNeuralNetPredictor_OnnxRuntimeEngine_ServesTheCheckpointAndReportsTheEngine()
    {
        var folder = Directory.CreateTempSubdirectory("neuralnet-di-").FullName;
        try
        {
            var weights = Path.Combine(folder, "model.safetensors");
            torch.manual_seed(22);
            using (var trained = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
            {
                trained.SaveCheckpoint(weights);
            }
            var logs = new ListLoggerProvider();
            var services = new ServiceCollection();
            services.AddLogging(l => l.AddProvider(logs));
            services.AddNeuralNetPredictor(o =>
            {
                o.WeightsPath = weights;
                o.Variant = NeuralNetworkVariant.Quickstart;
                o.Engine = PredictionEngine.OnnxRuntime;
            });
            services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");
            await using var provider = services.BuildServiceProvider();

            var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

            report.Status.Should().Be(HealthStatus.Healthy);
            report.Entries["model"].Data["engine"].Should().Be("OnnxRuntime");
            report.Entries["model"].Data["device"].Should().Be("cpu");
            logs.Messages.Should().Contain(m => m.StartsWith("Predictor ready on cpu with OnnxRuntime", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task AddNeuralNetPredictor_OnnxRuntimeOnCuda_FailsStartUpSayingWhichEngineRunsCuda()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddNeuralNetPredictor(o =>
        {
            o.Engine = PredictionEngine.OnnxRuntime;
            o.Device = "cuda";
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().Equal(
            "Engine OnnxRuntime runs on the CPU only; Device 'cuda' needs Engine LibTorch (the default).");
    }

    [Test]
    public async Task AddNeuralNetPredictor_ModelFactory_LoadsTheWeightsIntoTheUsersClassAndServesIt()
    {
        using var temp = new TempFolder();
        var weights = temp.File("lenet.safetensors");
        torch.manual_seed(23);
        using var trained = new LeNet();
        trained.SaveCheckpoint(weights);
        var images = RandomPixels.Images(8, seed: 4);
        using var batch = torch.tensor(images.SelectMany(i => i).ToArray(), [8, 1, 28, 28]);
        var expected = trained.Predict(batch);
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddNeuralNetPredictor(() => new LeNet(), o =>
        {
            o.WeightsPath = weights;
            o.InputShape = [1, 28, 28];
            o.Device = "cpu";
        });
        builder.Services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");
        using var host = builder.Build();
        await host.StartAsync();

        var predictor = host.Services.GetRequiredService<Predictor>();
        var actual = await predictor.PredictBatchAsync(images);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        actual.Select(p => p.Class).Should().Equal(expected.Select(p => p.Class));
        actual.SelectMany(p => p.Probabilities).Zip(expected.SelectMany(p => p.Probabilities))
            .Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-6f, "the same weights, the same libtorch forward");
        predictor.Variant.Should().BeNull();
        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries["model"].Data["inputShape"].Should().Be("[1, 28, 28]");
        report.Entries["model"].Data["classes"].Should().Be(10);
        report.Entries["model"].Data.Should().NotContainKey("variant");
        logs.Messages.Should().Contain($"Loaded LeNet weights from {weights}.");
        logs.Messages.Should().Contain(m => m.StartsWith("Predictor ready on cpu with LibTorch (LeNet, input [1, 28, 28] Float32, 10 classes;", StringComparison.Ordinal));
    }

    [Test]
    public async Task AddNeuralNetPredictor_ModelFactoryWithWeightsOfAnotherModel_FailsNamingTheKeys_AndLogsIt()
    {
        using var temp = new TempFolder();
        var weights = temp.File("documented.pth");
        using (var other = new NeuralNetwork())
        {
            other.SaveCheckpoint(weights);
        }
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(logs));
        services.AddNeuralNetPredictor(() => new LeNet(), o => { o.WeightsPath = weights; o.InputShape = [1, 28, 28]; o.Device = "cpu"; });
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<Predictor>();

        resolve.Should().Throw<CheckpointException>().WithMessage($"*{weights}*features.0.weight*");
        logs.Messages.Should().Contain(m => m.StartsWith("Could not load the model: ", StringComparison.Ordinal) && m.Contains("features.0.weight"));
    }

    [Test]
    public async Task AddNeuralNetPredictor_ModelFactoryWithoutInputShapeOrWithModelPath_FailsStartUpNamingTheSettings()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddNeuralNetPredictor(() => new LeNet(), o => o.ModelPath = "/no/such/model.pt");
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().BeEquivalentTo(
            "ModelPath '/no/such/model.pt' does not exist or is not a file.",
            "InputShape is required with ModelPath: a TorchScript model does not declare what it takes (one sample's shape, e.g. 1,28,28).",
            "ModelPath cannot be used with a registered model factory: the factory makes the model (its weights come from WeightsPath).",
            "InputShape is required with a registered model factory: one sample's shape, e.g. 1,28,28 (784 for the document's NeuralNetwork).");
    }

    [Test]
    public async Task AddNeuralNetPredictor_ModelPathWithWeightsOrARelativeMissingPath_FailsStartUpNamingTheSettingsAndTheFolder()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddNeuralNetPredictor(o =>
        {
            o.ModelPath = "no-such-model.pt";
            o.WeightsPath = "/no/such/weights.pth";
            o.InputShape = [1, 0, 28];
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().BeEquivalentTo(
            "InputShape must hold one or more sizes of at least 1; found [1, 0, 28].",
            $"ModelPath 'no-such-model.pt' (resolved against the current directory: {Path.GetFullPath("no-such-model.pt")}) does not exist or is not a file.",
            "WeightsPath cannot be used with ModelPath: a TorchScript archive holds its own weights.",
            "WeightsPath '/no/such/weights.pth' does not exist or is not a file.");
    }

    private sealed class ListLoggerProvider : ILoggerProvider, ILogger
    {
        public List<string> Messages { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
