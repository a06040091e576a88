// An HTTP prediction service: an ASP.NET Core minimal API over one thread-safe, micro-batching Predictor.
//
//   dotnet run --project examples/08-PredictionService -- --urls http://127.0.0.1:5000 [--weights FILE] [--variant documented|quickstart]
//
//   POST /predict  {"pixels": [784 numbers in 0..1]}          -> {"class": k, "probabilities": [10 numbers], "label": null}
//   POST /predict  {"images": [[784 numbers], ...]}           -> [{"class": ...}, ...]
//   GET  /healthz  model loaded and a test forward pass works  -> Healthy / Unhealthy
//   GET  /model    the PyTorch-style structure text and the parameter count
//
// Settings also come from the environment (Predictor__WeightsPath, Predictor__Variant, Predictor__Device, ...),
// so the service runs as a stateless replica behind a load balancer.
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
catch
{
    // Disposing the host flushes the console logger's queue, so the logged reason is printed before the crash.
    await app.DisposeAsync();
    throw;
}

app.MapPost("/predict", PredictEndpoint.Handle);
app.MapHealthChecks("/healthz");
app.MapGet("/model", () => Results.Json(new
{
    variant = predictor.Variant.ToString(),
    device = Devices.Describe(predictor.Device),
    parameters = predictor.ParameterCount,
    structure = predictor.ModelText,
}));

app.Run();
