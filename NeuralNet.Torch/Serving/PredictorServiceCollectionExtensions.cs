using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NeuralNet.Torch.Serving;
using static TorchSharp.torch;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="Predictor"/> for a .NET service.</summary>
public static class PredictorServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="Predictor"/> (a singleton built by <see cref="Predictor.Create(PredictorOptions, ILogger?)"/>:
    /// the TorchScript archive of <see cref="PredictorOptions.ModelPath"/>, or the document's model with
    /// <see cref="PredictorOptions.WeightsPath"/> loaded, or its random initialisation when that is null), its options,
    /// validated when the host starts, and <see cref="PredictorHealthCheck"/> for
    /// <c>services.AddHealthChecks().AddCheck&lt;PredictorHealthCheck&gt;("model")</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (weights or TorchScript file, input shape, variant, device, class
    /// names, batching).</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <remarks>The predictor logs (category <c>NeuralNet.Torch.Serving.Predictor</c>) what it loaded, on which device,
    /// and any failure to load or to run a forward pass. It is disposed with the service provider. The start-up
    /// validation's failures (<see cref="OptionsValidationException"/>) name each setting; what needs the model (that it
    /// takes the input shape, the class names' count) fails when the predictor is first resolved.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddNeuralNetPredictor(this IServiceCollection services, Action<PredictorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, configure, null);
    }

    /// <summary>
    /// Registers one <see cref="Predictor"/> of a model of your own class: a singleton that calls
    /// <paramref name="modelFactory"/>, loads <see cref="PredictorOptions.WeightsPath"/> into the new model strictly
    /// (any format <see cref="NeuralNet.Torch.Persistence.Checkpoint"/> reads: a PyTorch <c>state_dict</c>, safetensors,
    /// TorchSharp; its random initialisation when that is null), and serves it
    /// (<see cref="Predictor.Create(Func{nn.Module{Tensor, Tensor}}, PredictorOptions, ILogger?)"/>); its options,
    /// validated when the host starts; and <see cref="PredictorHealthCheck"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelFactory">Makes the model, e.g. <c>() =&gt; new LeNet()</c>; called once, when the predictor is
    /// first resolved. The predictor owns what it returns.</param>
    /// <param name="configure">Sets the options; <see cref="PredictorOptions.InputShape"/> is required (<c>[784]</c>
    /// for the document's <see cref="NeuralNet.Torch.NeuralNetwork"/>), <see cref="PredictorOptions.ModelPath"/> must
    /// stay null.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <remarks>As for <see cref="AddNeuralNetPredictor(IServiceCollection, Action{PredictorOptions})"/>. A checkpoint
    /// whose keys or shapes do not fit the model fails with a <see cref="NeuralNet.Torch.Persistence.CheckpointException"/>
    /// naming them, logged, when the predictor is resolved.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="modelFactory"/> or
    /// <paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddNeuralNetPredictor(
        this IServiceCollection services, Func<nn.Module<Tensor, Tensor>> modelFactory, Action<PredictorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(modelFactory);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, configure, modelFactory);
    }

    private static IServiceCollection Register(IServiceCollection services, Action<PredictorOptions> configure, Func<nn.Module<Tensor, Tensor>>? modelFactory)
    {
        services.AddOptions<PredictorOptions>()
            .Configure(configure)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PredictorOptions>>(new PredictorOptionsValidator(modelFactory));
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PredictorOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger<Predictor>() ?? (ILogger)NullLogger.Instance;
            return modelFactory is null ? Predictor.Create(options, logger) : Predictor.Create(modelFactory, options, logger);
        });
        services.AddSingleton<PredictorHealthCheck>();
        return services;
    }

    private sealed class PredictorOptionsValidator(Func<nn.Module<Tensor, Tensor>>? modelFactory) : IValidateOptions<PredictorOptions>
    {
        public ValidateOptionsResult Validate(string? name, PredictorOptions options)
        {
            var problems = options.Validate().Concat(Predictor.FactoryProblems(options, modelFactory)).ToList();
            if (modelFactory is not null && options.InputShape is null)
            {
                problems.Add("InputShape is required with a registered model factory: one sample's shape, e.g. 1,28,28 (784 for the document's NeuralNetwork).");
            }
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
