using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NeuralNet.Torch.Persistence;

/// <summary>Reads and writes safetensors files.</summary>
/// <remarks>
/// <para>Layout: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON starting with <c>{</c> (may be
/// padded with trailing spaces), then the byte buffer. The JSON maps each tensor name to
/// <c>{"dtype": "F32", "shape": [512, 784], "data_offsets": [begin, end]}</c> (offsets relative to the buffer); the
/// optional <c>__metadata__</c> maps strings to strings.</para>
/// <para>Checked on read, as the reference implementation does: N at most 100,000,000 and within the file; valid
/// JSON with no duplicate names; known dtypes; non-negative shapes; <c>end - begin</c> equal to numel * element size;
/// the tensors cover the buffer exactly, without overlaps or holes; the buffer ends at the end of the file.</para>
/// <para>Written like the reference implementation: header padded with spaces to a multiple of 8 bytes, tensors laid
/// out by decreasing element size (so every tensor is aligned to its element size) and in state_dict order within a
/// size, <c>__metadata__</c> = <c>{"format": "pt"}</c> as Hugging Face's PyTorch helpers write it.</para>
/// </remarks>
internal static class SafeTensorsFormat
{
    /// <summary>The reference implementation's limit on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Reads every tensor.</summary>
    /// <exception cref="InvalidDataException">The file breaks one of the rules above.</exception>
    public static List<StateEntry> Read(Stream stream)
    {
        var fileLength = stream.Length;
        stream.Position = 0;
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(stream, lengthBytes, "the header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"the safetensors header claims {headerLength} bytes (at most {MaxHeaderBytes} are allowed)");
        }
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new InvalidDataException($"the safetensors header claims {headerLength} bytes, but the file has only {fileLength - 8} after the length (truncated)");
        }
        var header = new byte[headerLength];
        ReadExactly(stream, header, "the header");
        var bufferLength = fileLength - 8 - (long)headerLength;

        var tensors = ParseHeader(header);
        Validate(tensors, bufferLength);

        var result = new List<StateEntry>(tensors.Count);
        var bufferStart = 8 + (long)headerLength;
        foreach (var t in tensors.OrderBy(t => t.Begin))
        {
            var data = new byte[t.End - t.Begin];
            stream.Position = bufferStart + t.Begin;
            ReadExactly(stream, data, $"the data of '{t.Name}'");
            result.Add(new StateEntry(t.Name, t.DType.Type, t.Shape, data));
        }
        return result;
    }

    /// <summary>Writes the tensors.</summary>
    /// <exception cref="InvalidDataException">A tensor's element type has no safetensors code (complex).</exception>
    public static void Write(Stream output, IReadOnlyList<StateEntry> entries)
    {
        var ordered = entries
            .Select((e, i) => (Entry: e, Index: i, DType: DTypes.Of(e.DType)))
            .OrderByDescending(x => x.DType.Size)
            .ThenBy(x => x.Index)
            .ToList();
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(MetadataKey);
            writer.WriteString("format", "pt");
            writer.WriteEndObject();
            long offset = 0;
            foreach (var (entry, _, dtype) in ordered)
            {
                var code = dtype.SafeTensorsCode
                    ?? throw new InvalidDataException($"tensor '{entry.Name}' is {dtype.Name}, which safetensors cannot store");
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", code);
                writer.WriteStartArray("shape");
                foreach (var d in entry.Shape)
                {
                    writer.WriteNumberValue(d);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + entry.Data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += entry.Data.Length;
            }
            writer.WriteEndObject();
        }
        var headerLength = (json.Length + 7) / 8 * 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)headerLength);
        output.Write(lengthBytes);
        output.Write(json.GetBuffer().AsSpan(0, (int)json.Length));
        for (var i = json.Length; i < headerLength; i++)
        {
            output.WriteByte((byte)' ');
        }
        foreach (var (entry, _, _) in ordered)
        {
            output.Write(entry.Data);
        }
    }

    private static List<HeaderTensor> ParseHeader(byte[] header)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw new InvalidDataException("the safetensors header does not start with '{'");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the safetensors header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("the safetensors header is not a JSON object");
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            var tensors = new List<HeaderTensor>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw new InvalidDataException($"the safetensors header names '{property.Name}' twice");
                }
                if (property.Name == MetadataKey)
                {
                    CheckMetadata(property.Value);
                    continue;
                }
                tensors.Add(ParseTensor(property.Name, property.Value));
            }
            return tensors;
        }
    }

    private static void CheckMetadata(JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object || metadata.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
        {
            throw new InvalidDataException("the safetensors __metadata__ is not a map of strings to strings");
        }
    }

    private static HeaderTensor ParseTensor(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new InvalidDataException($"the safetensors entry '{name}' needs a string dtype, a shape array and two data_offsets");
        }
        var code = dtypeElement.GetString()!;
        var dtype = DTypes.FromSafeTensorsCode(code)
            ?? throw new InvalidDataException($"tensor '{name}' has the safetensors dtype '{code}', which is not supported");
        var shape = shapeElement.EnumerateArray().Select(e => NonNegative(e, name, "shape")).ToArray();
        var begin = NonNegative(offsetsElement[0], name, "data_offsets");
        var end = NonNegative(offsetsElement[1], name, "data_offsets");
        if (end < begin)
        {
            throw new InvalidDataException($"tensor '{name}' has data_offsets [{begin}, {end}], which end before they begin");
        }
        var expected = StateEntry.ByteSize(shape, dtype.Type, name);
        if (end - begin != expected)
        {
            throw new InvalidDataException(
                $"tensor '{name}' {dtype.Name} {ShapeText.Of(shape)} needs {expected} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        }
        return new HeaderTensor(name, dtype, shape, begin, end);
    }

    private static long NonNegative(JsonElement element, string name, string field) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var v) && v >= 0
            ? v
            : throw new InvalidDataException($"tensor '{name}' has a {field} value that is not a non-negative integer");

    private static void Validate(List<HeaderTensor> tensors, long bufferLength)
    {
        long next = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != next)
            {
                throw new InvalidDataException(t.Begin < next
                    ? $"tensor '{t.Name}' overlaps the previous tensor's bytes (data_offsets start at {t.Begin}, expected {next})"
                    : $"the bytes {next}..{t.Begin} before tensor '{t.Name}' belong to no tensor (holes are not allowed)");
            }
            next = t.End;
        }
        if (next != bufferLength)
        {
            throw new InvalidDataException(next > bufferLength
                ? $"the tensors need {next} bytes of data, but the file has {bufferLength} (truncated)"
                : $"the file has {bufferLength - next} byte(s) after the last tensor's data");
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"the file ends inside {what} (truncated)", e);
        }
    }

    private sealed record HeaderTensor(string Name, DTypeInfo DType, long[] Shape, long Begin, long End);
}
