using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>The PredictionService example serving files PyTorch wrote, with no C# class: a LeNet saved with
/// <c>torch.jit.script</c> (<c>--model FILE.pt --input-shape 1,28,28</c>) and an Embedding + GRU text model configured
/// only by the environment (<c>Predictor__ModelPath</c>, <c>Predictor__InputShape=12</c>,
/// <c>Predictor__InputElementType=Int64</c>); over HTTP they answer torch's softmax within 1e-5 and its argmax.</summary>
[Category(PyTorchOracle.Category)]
[NonParallelizable]
public sealed class PredictionServiceTorchScriptOracleTests
{
    private OracleRun _torch = null!;
    private PredictionServiceProcess? _images;
    private PredictionServiceProcess? _tokens;
    private HttpClient _imageHttp = null!;
    private HttpClient _tokenHttp = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _torch = PyTorchOracle.Run("serving_torchscript.py");
        _images = PredictionServiceProcess.Start(["--model", _torch.File("lenet.script.pt"), "--input-shape", "1,28,28"]);
        _tokens = PredictionServiceProcess.Start([], new Dictionary<string, string>
        {
            ["Predictor__ModelPath"] = _torch.File("text.script.pt"),
            ["Predictor__InputShape"] = "12",
            ["Predictor__InputElementType"] = "Int64",
        });
        _imageHttp = new HttpClient { BaseAddress = new Uri(_images.Url), Timeout = TimeSpan.FromSeconds(30) };
        _tokenHttp = new HttpClient { BaseAddress = new Uri(_tokens.Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _imageHttp?.Dispose();
        _tokenHttp?.Dispose();
        _images?.Dispose();
        _tokens?.Dispose();
        _torch?.Dispose();
    }

    [Test]
    public async Task Predict_ImagesForATorchScriptCnn_AnswersTorchsPrediction()
    {
        var images = _torch.Array("lenet.input").ToFloat32().Chunk(784).ToArray();

        using var batch = await _imageHttp.PostAsJsonAsync("/predict", new { images });
        using var one = await _imageHttp.PostAsJsonAsync("/predict", new { pixels = images[3] });

        batch.StatusCode.Should().Be(HttpStatusCode.OK);
        one.StatusCode.Should().Be(HttpStatusCode.OK);
        using var answers = JsonDocument.Parse(await batch.Content.ReadAsStringAsync());
        using var single = JsonDocument.Parse(await one.Content.ReadAsStringAsync());
        ShouldBeTorchs(answers.RootElement.EnumerateArray().ToArray(), "lenet");
        single.RootElement.GetProperty("class").GetInt64().Should().Be(_torch.Array("lenet.classes").ToInt64()[3]);
    }

    [Test]
    public async Task Predict_TokensForATorchScriptTextModelConfiguredByTheEnvironment_AnswersTorchsPrediction()
    {
        var sequences = _torch.Array("text.input").ToInt64().Chunk(12).ToArray();

        using var batch = await _tokenHttp.PostAsJsonAsync("/predict", new { batch = sequences });
        using var one = await _tokenHttp.PostAsJsonAsync("/predict", new { tokens = sequences[5] });

        batch.StatusCode.Should().Be(HttpStatusCode.OK);
        using var answers = JsonDocument.Parse(await batch.Content.ReadAsStringAsync());
        using var single = JsonDocument.Parse(await one.Content.ReadAsStringAsync());
        ShouldBeTorchs(answers.RootElement.EnumerateArray().ToArray(), "text");
        single.RootElement.GetProperty("class").GetInt64().Should().Be(_torch.Array("text.classes").ToInt64()[5]);
    }

    [Test]
    public async Task Model_ShowsTheScriptsStructureAndInput()
    {
        using var images = JsonDocument.Parse(await _imageHttp.GetStringAsync("/model"));
        using var tokens = JsonDocument.Parse(await _tokenHttp.GetStringAsync("/model"));

        images.RootElement.GetProperty("variant").ValueKind.Should().Be(JsonValueKind.Null);
        images.RootElement.GetProperty("structure").GetString().Should().StartWith("RecursiveScriptModule(\n  original_name=?\n  (features): RecursiveScriptModule(");
        images.RootElement.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(1, 28, 28);
        images.RootElement.GetProperty("inputType").GetString().Should().Be("Float32");
        images.RootElement.GetProperty("classes").GetInt32().Should().Be(10);
        images.RootElement.GetProperty("parameters").GetInt64().Should().Be(61_706);
        tokens.RootElement.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(12);
        tokens.RootElement.GetProperty("inputType").GetString().Should().Be("Int64");
        tokens.RootElement.GetProperty("classes").GetInt32().Should().Be(4);
        (await _tokenHttp.GetStringAsync("/healthz")).Should().Be("Healthy");
        (await _imageHttp.GetStringAsync("/healthz")).Should().Be("Healthy");
    }

    [TestCase("""{"pixels": [0.5, 0.5]}""", "'pixels' has 2 values; expected 784 (one sample of shape [1, 28, 28], flattened).")]
    [TestCase("""{"images": [[0.5]]}""", "'images[0]' has 1 values; expected 784 (one sample of shape [1, 28, 28], flattened).")]
    [TestCase("""{"tokens": [1, 2]}""", "This model takes float32 values: expected a JSON object with 'pixels' (784 numbers) or 'images' (an array of such arrays).")]
    [TestCase("{}", "Expected a JSON object with 'pixels' (784 numbers) or 'images' (an array of such arrays).")]
    public async Task Predict_MalformedImageRequest_Is400NamingBothCounts(string body, string detail)
    {
        using var response = await _imageHttp.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));

        await ShouldBeProblem(response, detail);
    }

    [TestCase("""{"tokens": [1, 2, 3]}""", "'tokens' has 3 values; expected 12 (one sample of shape [12], flattened).")]
    [TestCase("""{"tokens": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1.5]}""", "'tokens[11]' must be an integer token id; found 1.5.")]
    [TestCase("""{"batch": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, "x"]]}""", "'batch[0][11]' must be an integer token id; found a JSON string.")]
    [TestCase("""{"pixels": [0.5]}""", "This model takes int64 token ids: expected a JSON object with 'tokens' (12 integer token ids) or 'batch' (an array of such arrays).")]
    [TestCase("""{"tokens": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 100]}""", "The model cannot take input of shape [1, 12] (Int64): RuntimeError: index out of range in self")]
    public async Task Predict_MalformedTokenRequest_Is400SayingWhatWasWrong(string body, string detail)
    {
        using var response = await _tokenHttp.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));

        await ShouldBeProblem(response, detail);
    }

    private void ShouldBeTorchs(JsonElement[] answers, string name)
    {
        var probabilities = answers.SelectMany(a => a.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle())).ToArray();
        // float32 forward passes in another summation order, through JSON's shortest round-trip text: 1e-5.
        OracleAssert.Close(probabilities, _torch.Array($"{name}.probabilities").ToFloat32(), 1e-5, $"{name} over HTTP");
        answers.Select(a => a.GetProperty("class").GetInt64()).Should().Equal(_torch.Array($"{name}.classes").ToInt64());
    }

    private static async Task ShouldBeProblem(HttpResponseMessage response, string detail)
    {
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("detail").GetString().Should().Match(detail);
    }
}
