// An HTTP prediction service: an ASP.NET Core minimal API over one thread-safe, micro-batching Predictor, serving the
// document's model, or any classifier saved as TorchScript in PyTorch (torch.jit.script(model).save("model.pt")).
//
//   dotnet run --project examples/08-PredictionService -- --urls http://127.0.0.1:5000 [--weights FILE] [--variant documented|quickstart]
//   dotnet run --project examples/08-PredictionService -- --urls http://127.0.0.1:5000 --model FILE.pt --input-shape 1,28,28 [--input-type float32|int64]
//
//   POST /predict  {"pixels": [N numbers]}            -> {"class": k, "probabilities": [C numbers], "label": null}
//   POST /predict  {"images": [[N numbers], ...]}     -> [{"class": ...}, ...]
//   POST /predict  {"tokens": [N integers]}           -> the same, for a model of int64 token ids (--input-type int64)
//   POST /predict  {"batch": [[N integers], ...]}     -> a list, for a model of int64 token ids
//   GET  /healthz  readiness: model loaded and a test forward pass works -> Healthy / Unhealthy (503)
//   GET  /livez    liveness: the process answers (runs no model)        -> Healthy
//   GET  /model    the PyTorch-style structure text, parameter count, input shape and type, classes, device, engine
//
// N is the input shape's element count: each sample is sent flattened, row by row (784 for the document's model, the
// 28 x 28 pixels in 0..1). A wrong count is a 400 naming both counts.
//
// Settings also come from the environment (Predictor__WeightsPath, Predictor__ModelPath, Predictor__InputShape=1,28,28,
// Predictor__InputElementType=Int64, Predictor__Variant, Predictor__Device, Predictor__Engine=LibTorch|OnnxRuntime,
// Predictor__MaxBatchSize, ...), so the service runs as a stateless replica behind a load balancer (see the README's
// section on scaling out). Relative paths are resolved against the current directory (with dotnet run, the folder you
// run it from). A setting that is wrong stops the service at start with one line "error: <setting> (<where it comes
// from>): <problem>" on stderr and exit code 1.
//
// A model of your own C# class is served the same way: services.AddNeuralNetPredictor(() => new MyNet(), options => ...)
// loads Predictor__WeightsPath (a PyTorch state_dict, safetensors, ...) into it.
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using NeuralNet.Torch;
using NeuralNet.Torch.Serving;
using PredictionService;

var builder = WebApplication.CreateBuilder(args);
var settings = new PredictorOptions();
try
{
    // Read the settings now, so that one that cannot be read stops the service before anything starts.
    ServiceSettings.Apply(builder.Configuration, settings);
}
catch (Exception e) when (e is SettingException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = PredictEndpoint.MaxBodyBytes);
builder.Services.AddProblemDetails();
builder.Services.AddNeuralNetPredictor(options => ServiceSettings.Apply(builder.Configuration, options));
builder.Services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();

// Load the model now, not on the first request: a bad setting or weights file stops the service at start.
Predictor predictor;
try
{
    predictor = app.Services.GetRequiredService<Predictor>();
}
catch (Exception e)
{
    // Dispose the host first so the console logger's queue (Predictor.Create logs a load failure) is written out
    // before the line and the exit.
    await app.DisposeAsync();
    foreach (var line in StartupFailure.Lines(e, settings))
    {
        Console.Error.WriteLine($"error: {line}");
    }
    return 1;
}

app.MapPost("/predict", PredictEndpoint.Handle);
app.MapHealthChecks("/healthz");
app.MapHealthChecks("/livez", new HealthCheckOptions { Predicate = _ => false });
app.MapGet("/model", () => Results.Json(new
{
    variant = predictor.Variant?.ToString(),
    device = Devices.Describe(predictor.Device),
    engine = predictor.Engine.ToString(),
    parameters = predictor.ParameterCount,
    inputShape = predictor.InputShape,
    inputType = predictor.InputElementType.ToString(),
    classes = predictor.ClassCount,
    structure = predictor.ModelText,
}));

try
{
    await app.RunAsync();
}
catch (Exception e) when (e is IOException or InvalidOperationException)
{
    // Kestrel could not listen (the address is in use, a bad --urls).
    Console.Error.WriteLine($"error: urls: {e.Message}");
    return 1;
}
return 0;
