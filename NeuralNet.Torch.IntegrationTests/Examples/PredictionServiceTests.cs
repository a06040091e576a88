using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>Starts the HTTP example on loopback with real Kestrel (a free port) and talks to it over HTTP.</summary>
[NonParallelizable]
public sealed class PredictionServiceTests
{
    private PredictionServiceProcess? _service;
    private HttpClient _http = null!;
    private TempFolder _temp = null!;
    private string _weights = "";

    [OneTimeSetUp]
    public void Start()
    {
        _temp = new TempFolder();
        _weights = _temp.File("model.safetensors");
        torch.manual_seed(17);
        using (var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            model.SaveCheckpoint(_weights);
        }
        _service = PredictionServiceProcess.Start(["--weights", _weights, "--variant", "quickstart"]);
        _http = new HttpClient { BaseAddress = new Uri(_service.Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _http.Dispose();
        _service?.Dispose();
        _temp.Dispose();
    }

    [Test]
    public async Task Predict_OneImage_AnswersTheModelsPrediction()
    {
        var pixels = Image(0.25f);
        torch.manual_seed(17);
        using var reference = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var input = torch.tensor(pixels, [1, 784]);
        var expected = NeuralNet.Torch.Prediction.PredictionExtensions.Predict(reference, input)[0];

        using var response = await _http.PostAsJsonAsync("/predict", new { pixels });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("class").GetInt32().Should().Be(expected.Class);
        var probabilities = json.RootElement.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        probabilities.Should().HaveCount(10);
        probabilities.Zip(expected.Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-6f);
    }

    [Test]
    public async Task Predict_ABatch_AnswersAListInOrder()
    {
        using var response = await _http.PostAsJsonAsync("/predict", new { images = new[] { Image(0.1f), Image(0.9f), Image(0.5f) } });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetArrayLength().Should().Be(3);
        json.RootElement.EnumerateArray().Should().OnlyContain(p => p.GetProperty("probabilities").GetArrayLength() == 10);
    }

    [TestCase("""{"pixels": [0.5, 0.5]}""", "'pixels' has 2 values; expected 784 (28 x 28 pixels, row by row).")]
    [TestCase("""{"pixels": "zeros"}""", "'pixels' must be an array of 784 numbers; found a JSON string.")]
    [TestCase("{}", "Expected a JSON object with 'pixels' (784 numbers in 0..1) or 'images' (an array of such arrays).")]
    [TestCase("[1, 2]", "Expected a JSON object with 'pixels' or 'images'; found a JSON array.")]
    [TestCase("""{"images": 3}""", "'images' must be an array of images; found a JSON number.")]
    [TestCase("{not json", "The body is not valid JSON: *")]
    [TestCase("", "The body is not valid JSON: *")]
    public async Task Predict_MalformedBody_Is400WithAProblemThatSaysWhatWasWrong(string body, string detail)
    {
        using var response = await _http.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));

        await ShouldBeProblem(response, HttpStatusCode.BadRequest, detail);
    }

    [Test]
    public async Task Predict_NonNumbersAndOutOfRangeValues_Are400NamingTheElement()
    {
        var text = Image(0.5f).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        text[17] = "\"x\"";
        using var nonNumber = await PostRaw("{\"pixels\": [" + string.Join(",", text) + "]}");
        text[17] = "1.5";
        using var tooBright = await PostRaw("{\"images\": [[" + string.Join(",", text) + "]]}");
        text[17] = "1e39";
        using var overflow = await PostRaw("{\"pixels\": [" + string.Join(",", text) + "]}");

        await ShouldBeProblem(nonNumber, HttpStatusCode.BadRequest, "'pixels[17]' must be a number; found a JSON string.");
        await ShouldBeProblem(tooBright, HttpStatusCode.BadRequest, "'images[0][17]' is 1.5; pixel values must be in 0..1.");
        await ShouldBeProblem(overflow, HttpStatusCode.BadRequest, "'pixels[17]' is 1E+39; pixel values must be in 0..1.");
    }

    [Test]
    public async Task Predict_WrongContentType_Is415()
    {
        using var response = await _http.PostAsync("/predict", new StringContent("""{"pixels": []}""", Encoding.UTF8, "text/plain"));

        await ShouldBeProblem(response, HttpStatusCode.UnsupportedMediaType, "Expected Content-Type: application/json; found 'text/plain; charset=utf-8'.");
    }

    [Test]
    public async Task Predict_TooManyImages_Is400()
    {
        using var response = await _http.PostAsJsonAsync("/predict", new { images = Enumerable.Repeat(Image(0.5f), 257).ToArray() });

        await ShouldBeProblem(response, HttpStatusCode.BadRequest, "'images' holds 257 images; at most 256 per request.");
    }

    [Test]
    public async Task Predict_BodyOverTheLimit_Is413_AndTheServiceKeepsServing()
    {
        // 5 MB of JSON against a 4 MB limit. With "Expect: 100-continue" the client waits for the server's go-ahead,
        // so the refusal arrives as a response instead of a connection closed under a half-sent body.
        var huge = "{\"pixels\": [" + string.Join(",", Enumerable.Repeat("0.123456789", 480_000)) + "]}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict")
        {
            Content = new StringContent(huge, Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;

        using var response = await _http.SendAsync(request);

        await ShouldBeProblem(response, HttpStatusCode.RequestEntityTooLarge, "The body is larger than 4194304 bytes.");
        using var after = await _http.PostAsJsonAsync("/predict", new { pixels = Image(0.5f) });
        after.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Healthz_IsHealthy()
    {
        using var response = await _http.GetAsync("/healthz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("Healthy");
    }

    [Test]
    public async Task Livez_IsHealthyWithoutRunningTheModel()
    {
        using var response = await _http.GetAsync("/livez");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("Healthy");
    }

    [Test]
    public async Task Replica_ConfiguredOnlyByEnvironmentOnOnnxRuntime_AnswersAsTheLibTorchService()
    {
        // A second replica, as an orchestrator would start it: no arguments but the address, settings from the
        // environment, the ONNX Runtime engine.
        using var replica = PredictionServiceProcess.Start([], new Dictionary<string, string>
        {
            ["Predictor__WeightsPath"] = _weights,
            ["Predictor__Variant"] = "Quickstart",
            ["Predictor__Device"] = "cpu",
            ["Predictor__Engine"] = "OnnxRuntime",
            ["Predictor__MaxBatchSize"] = "32",
        });
        {
            using var http = new HttpClient { BaseAddress = new Uri(replica.Url), Timeout = TimeSpan.FromSeconds(30) };
            var images = new[] { Image(0.1f), Image(0.6f), Image(0.9f) };

            using var fromLibTorch = JsonDocument.Parse(await (await _http.PostAsJsonAsync("/predict", new { images })).Content.ReadAsStringAsync());
            using var fromReplica = JsonDocument.Parse(await (await http.PostAsJsonAsync("/predict", new { images })).Content.ReadAsStringAsync());
            using var model = JsonDocument.Parse(await http.GetStringAsync("/model"));
            using var ready = await http.GetAsync("/healthz");

            ready.StatusCode.Should().Be(HttpStatusCode.OK);
            model.RootElement.GetProperty("engine").GetString().Should().Be("OnnxRuntime");
            model.RootElement.GetProperty("variant").GetString().Should().Be("Quickstart");
            var expected = fromLibTorch.RootElement.EnumerateArray().ToArray();
            var actual = fromReplica.RootElement.EnumerateArray().ToArray();
            actual.Should().HaveCount(3);
            for (var i = 0; i < 3; i++)
            {
                actual[i].GetProperty("class").GetInt32().Should().Be(expected[i].GetProperty("class").GetInt32());
                actual[i].GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle())
                    .Zip(expected[i].GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()))
                    .Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
            }
        }
    }

    [Test]
    public async Task Model_GivesTheStructureAndParameterCount()
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync("/model"));

        json.RootElement.GetProperty("variant").GetString().Should().Be("Quickstart");
        json.RootElement.GetProperty("device").GetString().Should().Be("cpu");
        json.RootElement.GetProperty("engine").GetString().Should().Be("LibTorch");
        json.RootElement.GetProperty("parameters").GetInt64().Should().Be(669_706);
        json.RootElement.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(784);
        json.RootElement.GetProperty("inputType").GetString().Should().Be("Float32");
        json.RootElement.GetProperty("classes").GetInt32().Should().Be(10);
        json.RootElement.GetProperty("structure").GetString().Should().StartWith("NeuralNetwork(\n  (flatten): Flatten(start_dim=1, end_dim=-1)\n")
            .And.Contain("(4): Linear(in_features=512, out_features=10, bias=True)\n  )\n)").And.NotContain("(5)");
    }

    [Test]
    public async Task ManyConcurrentClients_AllGetAnswers_NoServerErrors()
    {
        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await _http.PostAsJsonAsync("/predict", new { pixels = Image(i / 200f) });
            return response.StatusCode;
        });

        var statuses = await Task.WhenAll(calls);

        statuses.Should().OnlyContain(s => s == HttpStatusCode.OK);
    }

    [Test]
    public void Start_WithAWeightsFileThatDoesNotFit_StopsWithTheReason()
    {
        var wrong = _temp.File("not-a-model.pth");
        File.WriteAllText(wrong, "garbage");
        var dll = PredictionServiceProcess.Dll;

        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", [dll, "--urls", "http://127.0.0.1:0", "--weights", wrong],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(1));

        exitCode.Should().NotBe(0);
        (stdout + stderr).Should().Contain("Could not load the model: ").And.Contain(wrong);
        stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).Should().ContainSingle()
            .Which.Should().StartWith($"error: WeightsPath: Cannot read checkpoint '{wrong}': it is not a checkpoint in a known format").And.EndWith("[--weights or Predictor__WeightsPath]");
    }

    private static float[] Image(float level) => Enumerable.Range(0, 784).Select(i => (i % 7 == 0 ? level : level / 2)).ToArray();

    private Task<HttpResponseMessage> PostRaw(string json) =>
        _http.PostAsync("/predict", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("status").GetInt32().Should().Be((int)status);
        json.RootElement.GetProperty("detail").GetString().Should().Match(detail);
    }
}
