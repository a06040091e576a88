using System.Text.Json;
using NeuralNet.Torch;
using NeuralNet.Torch.Serving;

namespace PredictionService;

/// <summary>POST /predict: parses the body itself so every malformed request gets a 4xx that says what was wrong.
/// A float32 model takes <c>{"pixels": [...]}</c> or <c>{"images": [[...], ...]}</c>, a model of int64 token ids
/// <c>{"tokens": [...]}</c> or <c>{"batch": [[...], ...]}</c>; each sample flattened, of the input shape's element
/// count.</summary>
internal static class PredictEndpoint
{
    /// <summary>Largest accepted body: room for <see cref="MaxImages"/> images of the document's model written as JSON numbers.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Most samples in one request.</summary>
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
            var form = new RequestForm(predictor);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Problem(StatusCodes.Status400BadRequest, $"Expected a JSON object with {form.Keys}; found a JSON {RequestForm.Kind(root)}.");
            }
            try
            {
                if (root.TryGetProperty(form.One, out var one))
                {
                    var prediction = form.Tokens
                        ? await predictor.PredictAsync(form.ReadTokens(one, form.One), cancellationToken)
                        : await predictor.PredictAsync(form.ReadValues(one, form.One), cancellationToken);
                    return Results.Json(Answer(prediction));
                }
                if (root.TryGetProperty(form.Many, out var many))
                {
                    if (many.ValueKind != JsonValueKind.Array)
                    {
                        return Problem(StatusCodes.Status400BadRequest, $"'{form.Many}' must be an array of {form.Samples}; found a JSON {RequestForm.Kind(many)}.");
                    }
                    if (many.GetArrayLength() > MaxImages)
                    {
                        return Problem(StatusCodes.Status400BadRequest, $"'{form.Many}' holds {many.GetArrayLength()} {form.Samples}; at most {MaxImages} per request.");
                    }
                    var samples = many.EnumerateArray().Select((s, i) => (Element: s, Name: $"{form.Many}[{i}]"));
                    var predictions = form.Tokens
                        ? await predictor.PredictBatchAsync(samples.Select(s => form.ReadTokens(s.Element, s.Name)).ToArray(), cancellationToken)
                        : await predictor.PredictBatchAsync(samples.Select(s => form.ReadValues(s.Element, s.Name)).ToArray(), cancellationToken);
                    return Results.Json(predictions.Select(Answer));
                }
                if (form.OtherForm(root) is { } wrong)
                {
                    return Problem(StatusCodes.Status400BadRequest, wrong);
                }
            }
            catch (BadInputException e)
            {
                return Problem(StatusCodes.Status400BadRequest, e.Message);
            }
            catch (ArgumentException e)
            {
                // The predictor's checks, and a token id the model rejects (libtorch's reason), without " (Parameter 'x')".
                var detail = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
                return Problem(StatusCodes.Status400BadRequest, detail);
            }
            catch (PredictorBusyException e)
            {
                return Problem(StatusCodes.Status503ServiceUnavailable, e.Message);
            }
            return Problem(StatusCodes.Status400BadRequest, form.Expected);
        }
    }

    private static object Answer(ClassPrediction prediction) =>
        new { @class = prediction.Class, probabilities = prediction.Probabilities, label = prediction.Label };

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
