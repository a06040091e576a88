using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NeuralNet.Torch.Serving;

/// <summary>Health of the registered <see cref="Predictor"/>, for any model: healthy when the model is loaded and a
/// forward pass on a sample of zeros (of its input shape and element type) returns <see cref="Predictor.ClassCount"/>
/// probabilities that sum to 1; unhealthy with the reason otherwise (the model failed to load, the forward pass threw,
/// or it gave non-finite output). Register with
/// <c>services.AddHealthChecks().AddCheck&lt;PredictorHealthCheck&gt;("model")</c>. Its data: <c>device</c>,
/// <c>engine</c>, <c>inputShape</c>, <c>classes</c>, and <c>variant</c> for the document's model.</summary>
public sealed class PredictorHealthCheck : IHealthCheck
{
    private readonly IServiceProvider _services;

    /// <summary>Creates the check; it resolves the predictor when it runs, so a model that fails to load makes the
    /// check unhealthy instead of failing the check's construction.</summary>
    /// <param name="services">The service provider holding the predictor.</param>
    public PredictorHealthCheck(IServiceProvider services) => _services = services;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Predictor predictor;
        try
        {
            predictor = _services.GetRequiredService<Predictor>();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"The model could not be loaded: {e.Message}", e);
        }
        try
        {
            var prediction = predictor.InputElementType == InputElementType.Int64
                ? await predictor.PredictAsync(new long[predictor.InputLength], cancellationToken).ConfigureAwait(false)
                : await predictor.PredictAsync(new float[predictor.InputLength], cancellationToken).ConfigureAwait(false);
            var sum = prediction.Probabilities.Sum();
            var data = new Dictionary<string, object>
            {
                ["device"] = Devices.Describe(predictor.Device),
                ["engine"] = predictor.Engine.ToString(),
                ["inputShape"] = ShapeText.Of(predictor.InputShape),
                ["classes"] = predictor.ClassCount,
            };
            if (predictor.Variant is { } variant)
            {
                data["variant"] = variant.ToString();
            }
            return prediction.Probabilities.Count == predictor.ClassCount && float.IsFinite(sum) && Math.Abs(sum - 1) < 1e-3
                ? HealthCheckResult.Healthy("The model is loaded and a test forward pass works.", data)
                : HealthCheckResult.Unhealthy($"The test forward pass gave probabilities summing to {sum}.", data: data);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The test forward pass failed: {e.Message}", e);
        }
    }
}
