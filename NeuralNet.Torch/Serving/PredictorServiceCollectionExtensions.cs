using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NeuralNet.Torch.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="Predictor"/> for a .NET service.</summary>
public static class PredictorServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="Predictor"/> (a singleton that loads <see cref="PredictorOptions.WeightsPath"/>, or
    /// serves the randomly initialised model when it is null), its options, validated when the host starts, and
    /// <see cref="PredictorHealthCheck"/> for <c>services.AddHealthChecks().AddCheck&lt;PredictorHealthCheck&gt;("model")</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (weights, variant, device, class names, batching).</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <remarks>The predictor logs (category <c>NeuralNet.Torch.Serving.Predictor</c>) what it loaded, on which device,
    /// and any failure to load or to run a forward pass. It is disposed with the service provider.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddNeuralNetPredictor(this IServiceCollection services, Action<PredictorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PredictorOptions>()
            .Configure(configure)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PredictorOptions>, PredictorOptionsValidator>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PredictorOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger<Predictor>() ?? (ILogger)NullLogger.Instance;
            return Predictor.Create(options, logger);
        });
        services.AddSingleton<PredictorHealthCheck>();
        return services;
    }

    private sealed class PredictorOptionsValidator : IValidateOptions<PredictorOptions>
    {
        public ValidateOptionsResult Validate(string? name, PredictorOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
