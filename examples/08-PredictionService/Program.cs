// An HTTP prediction service: an ASP.NET Core minimal API over one thread-safe, micro-batching Predictor.
//
//   dotnet run --project examples/08-PredictionService -- --urls http://127.0.0.1:5000 [--weights FILE] [--variant documented|quickstart]
//
//   POST /predict  {"pixels": [784 numbers in 0..1]}          -> {"class": k, "probabilities": [10 numbers], "label": null}
//   POST /predict  {"images": [[784 numbers], ...]}           -> [{"class": ...}, ...]
//   GET  /healthz  readiness: model loaded and a test forward pass works -> Healthy / Unhealthy (503)
//   GET  /livez    liveness: the process answers (runs no model)        -> Healthy
//   GET  /model    the PyTorch-style structure text, the parameter count, the device and the engine
//
// Settings also come from the environment (Predictor__WeightsPath, Predictor__Variant, Predictor__Device,
// Predictor__Engine=LibTorch|OnnxRuntime, Predictor__MaxBatchSize, ...), so the service runs as a stateless replica
// behind a load balancer (see the README's section on scaling out).
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using NeuralNet.Torch;
using NeuralNet.Torch.Serving;
using PredictionService;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = PredictEndpoint.MaxBodyBytes);
builder.Services.AddProblemDetails();
builder.Services.AddNeuralNetPredictor(options =>
{
    builder.Configuration.GetSection("Predictor").Bind(options);
    options.WeightsPath = builder.Configuration["weights"] ?? options.WeightsPath;
    if (builder.Configuration["variant"] is { } variant)
    {
        options.Variant = variant.ToLowerInvariant() switch
        {
            "documented" => NeuralNetworkVariant.Documented,
            "quickstart" => NeuralNetworkVariant.Quickstart,
            _ => (NeuralNetworkVariant)(-1), // refused by the options validation at start-up, with the message
        };
    }
});
builder.Services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();

// Load the model now, not on the first request: a bad weights file stops the service at start with its message.
Predictor predictor;
try
{
    predictor = app.Services.GetRequiredService<Predictor>();
}
catch (Exception)
{
    // Predictor.Create has logged why. Dispose the host so the console logger's queue is written out before the exit:
    // an unhandled exception can end the process first, and the line is lost (seen on a loaded machine).
    await app.DisposeAsync();
    return 1;
}

app.MapPost("/predict", PredictEndpoint.Handle);
app.MapHealthChecks("/healthz");
app.MapHealthChecks("/livez", new HealthCheckOptions { Predicate = _ => false });
app.MapGet("/model", () => Results.Json(new
{
    variant = predictor.Variant.ToString(),
    device = Devices.Describe(predictor.Device),
    engine = predictor.Engine.ToString(),
    parameters = predictor.ParameterCount,
    structure = predictor.ModelText,
}));

app.Run();
return 0;
