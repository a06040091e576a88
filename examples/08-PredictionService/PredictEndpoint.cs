using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using NeuralNet.Torch;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;

namespace PredictionService;

/// <summary>POST /predict: parses the body itself so every malformed request gets a 4xx that says what was wrong.</summary>
internal static class PredictEndpoint
{
    /// <summary>Largest accepted body: room for <see cref="MaxImages"/> images written as JSON numbers.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Most images in one request.</summary>
    public const int MaxImages = 256;

    public static async Task<IResult> Handle(HttpRequest request, Predictor predictor, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType,
                $"Expected Content-Type: application/json; found '{request.ContentType ?? "none"}'.");
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            return Problem(StatusCodes.Status400BadRequest, $"The body is not valid JSON: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {MaxBodyBytes} bytes.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problem(StatusCodes.Status400BadRequest, $"Expected a JSON object with 'pixels' or 'images'; found a JSON {Kind(root)}.");
            }
            try
            {
                if (root.TryGetProperty("pixels", out var pixels))
                {
                    var prediction = await predictor.PredictAsync(ReadImage(pixels, "pixels"), cancellationToken);
                    return Results.Json(Answer(prediction));
                }
                if (root.TryGetProperty("images", out var images))
                {
                    if (images.ValueKind != JsonValueKind.Array)
                    {
                        return Problem(StatusCodes.Status400BadRequest, $"'images' must be an array of images; found a JSON {Kind(images)}.");
                    }
                    if (images.GetArrayLength() > MaxImages)
                    {
                        return Problem(StatusCodes.Status400BadRequest, $"'images' holds {images.GetArrayLength()} images; at most {MaxImages} per request.");
                    }
                    var parsed = images.EnumerateArray().Select((image, i) => ReadImage(image, $"images[{i}]")).ToArray();
                    var predictions = await predictor.PredictBatchAsync(parsed, cancellationToken);
                    return Results.Json(predictions.Select(Answer));
                }
            }
            catch (BadInputException e)
            {
                return Problem(StatusCodes.Status400BadRequest, e.Message);
            }
            catch (ArgumentException e)
            {
                return Problem(StatusCodes.Status400BadRequest, e.Message);
            }
            catch (PredictorBusyException e)
            {
                return Problem(StatusCodes.Status503ServiceUnavailable, e.Message);
            }
            return Problem(StatusCodes.Status400BadRequest, "Expected a JSON object with 'pixels' (784 numbers in 0..1) or 'images' (an array of such arrays).");
        }
    }

    private static float[] ReadImage(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new BadInputException($"'{name}' must be an array of {NeuralNetwork.InputFeatures} numbers; found a JSON {Kind(element)}.");
        }
        var count = element.GetArrayLength();
        if (count != NeuralNetwork.InputFeatures)
        {
            throw new BadInputException($"'{name}' has {count} values; expected {NeuralNetwork.InputFeatures} (28 x 28 pixels, row by row).");
        }
        var pixels = new float[count];
        var i = 0;
        foreach (var value in element.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
            {
                throw new BadInputException($"'{name}[{i}]' must be a number; found a JSON {Kind(value)}.");
            }
            if (!(number >= 0 && number <= 1))
            {
                throw new BadInputException($"'{name}[{i}]' is {number}; pixel values must be in 0..1.");
            }
            pixels[i++] = (float)number;
        }
        return pixels;
    }

    private static object Answer(ClassPrediction prediction) =>
        new { @class = prediction.Class, probabilities = prediction.Probabilities, label = prediction.Label };

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private sealed class BadInputException(string message) : Exception(message);
}
