using System.Text.Json;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>
/// An Open Inference Protocol v2 inference request, checked against the model: one input with the
/// model's input name, datatype FP32 (values in [0,1]) or UINT8 (pixel bytes 0..255, scaled to [0,1]),
/// shape [N, ...the model's input shape...], data flat or nested; optional id and requested outputs.
/// </summary>
public sealed record InferRequest(string? Id, float[] Pixels, int Count, IReadOnlyList<string> Outputs)
{
    /// <summary>Parses and checks a request against the model; bad input raises only <see cref="InputException"/>.</summary>
    public static InferRequest Parse(byte[] body, LoadedModel model, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            // Pixel bytes as a flat array (the common body): read straight from the bytes, the reader
            // walking the rest. Anything the fast path does not fully account for is parsed as sent.
            if (TensorJson.TrySpliceWholeNumbers(body, "data"u8, maxBatch * model.ImageValues, out byte[] spliced, out int at, out float[] values))
            {
                try
                {
                    var fast = ParseCore(spliced, model, maxBatch, new KnownData(at, values));
                    if (fast is not null)
                    {
                        return fast;
                    }
                }
                catch (Exception ex) when (ex is InputException or JsonException)
                {
                    // the error is reported from the body as sent, below
                }
            }

            return ParseCore(body, model, maxBatch, null)!;
        }
        catch (JsonException ex)
        {
            throw new InputException(InputProblem.Invalid, $"malformed JSON: {ex.Message}");
        }
    }

    /// <summary>The data array read by <see cref="TensorJson.TrySpliceWholeNumbers"/>, and where its placeholder stands.</summary>
    private sealed record KnownData(int At, float[] Values)
    {
        public bool Used { get; set; }
    }

    /// <summary>The request; null when <paramref name="fastData"/> was given and not used where it stands (parse the body as sent).</summary>
    private static InferRequest? ParseCore(byte[] body, LoadedModel model, int maxBatch, KnownData? fastData)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InputException(InputProblem.Invalid, "the body must be a JSON object with \"inputs\"");
        }

        string? id = null;
        RawInput? input = null;
        int inputCount = 0;
        List<string>? outputs = null;
        var seen = new JsonProperties("the request");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string property = seen.Add(ref reader);
            reader.Read();
            switch (property)
            {
                case "id":
                    id = reader.TokenType == JsonTokenType.String ? JsonProperties.ReadString(ref reader) : throw new InputException(InputProblem.Invalid, "id must be a string");
                    break;
                case "inputs":
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new InputException(InputProblem.Invalid, "inputs must be an array");
                    }

                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        inputCount++;
                        input = ReadInput(ref reader, fastData);
                    }

                    break;
                case "outputs":
                    outputs = ReadOutputs(ref reader);
                    break;
                default:
                    reader.Skip(); // parameters and extensions
                    break;
            }
        }

        JsonProperties.EnsureEnd(ref reader);
        if (fastData is { Used: false })
        {
            return null;
        }

        if (inputCount != 1 || input is null)
        {
            throw new InputException(InputProblem.Invalid, $"expected exactly one input ('{model.InputName}'), got {inputCount}");
        }

        if (input.Name != model.InputName)
        {
            throw new InputException(InputProblem.Invalid, $"unknown input '{input.Name}': this model's input is '{model.InputName}'");
        }

        if (input.Shape is null || input.Datatype is null || input.Data is null)
        {
            throw new InputException(InputProblem.Invalid, "each input needs name, shape, datatype and data");
        }

        int[] expected = model.InputShape;
        long[] shape = input.Shape;
        if (shape.Length != expected.Length || shape.Skip(1).Zip(expected.Skip(1)).Any(p => p.Second > 0 && p.First != p.Second))
        {
            throw new InputException(InputProblem.Invalid, $"shape [{string.Join(',', shape)}] does not match the model's input [{string.Join(',', expected.Select(d => d < 0 ? "-1" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
        }

        if (shape[0] < 1 || shape[0] > maxBatch)
        {
            throw new InputException(shape[0] > maxBatch ? InputProblem.TooLarge : InputProblem.Invalid, $"the batch dimension must be between 1 and {maxBatch}, not {shape[0]}");
        }

        int count = (int)shape[0];
        float[] data = input.Data;
        if (data.Length != count * model.ImageValues)
        {
            throw new InputException(InputProblem.Invalid, $"shape [{string.Join(',', shape)}] needs {count * model.ImageValues} values, data has {data.Length}");
        }

        switch (input.Datatype)
        {
            case "FP32":
                break;
            case "UINT8":
                for (int i = 0; i < data.Length; i++)
                {
                    float v = data[i];
                    if (v < 0 || v > 255 || v != MathF.Floor(v))
                    {
                        throw new InputException(InputProblem.Invalid, $"UINT8 data: value {i} ({v}) is not a whole number in 0..255");
                    }

                    data[i] = v / 255f;
                }

                break;
            default:
                throw new InputException(InputProblem.Invalid, $"datatype '{input.Datatype}' is not supported: use FP32 (values in [0,1]) or UINT8 (0..255)");
        }

        var known = new[] { model.OutputName, InferenceApi.ProbabilitiesOutput };
        outputs ??= [model.OutputName];
        foreach (string output in outputs)
        {
            if (!known.Contains(output))
            {
                throw new InputException(InputProblem.Invalid, $"unknown output '{output}': this model has {string.Join(", ", known)}");
            }
        }

        return new InferRequest(id, data, count, outputs.Distinct().ToArray());
    }

    private sealed record RawInput(string? Name, long[]? Shape, string? Datatype, float[]? Data);

    private static RawInput ReadInput(ref Utf8JsonReader reader, KnownData? fastData)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InputException(InputProblem.Invalid, "each input must be an object");
        }

        string? name = null, datatype = null;
        long[]? shape = null;
        float[]? data = null;
        var seen = new JsonProperties("an input");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string property = seen.Add(ref reader);
            reader.Read();
            switch (property)
            {
                case "name":
                    name = reader.TokenType == JsonTokenType.String ? JsonProperties.ReadString(ref reader) : throw new InputException(InputProblem.Invalid, "input name must be a string");
                    break;
                case "datatype":
                    datatype = reader.TokenType == JsonTokenType.String ? JsonProperties.ReadString(ref reader) : throw new InputException(InputProblem.Invalid, "datatype must be a string");
                    break;
                case "shape":
                    shape = ReadShape(ref reader);
                    break;
                case "data" when fastData is not null && reader.TokenStartIndex == fastData.At && reader.TokenType == JsonTokenType.Number:
                    data = fastData.Values;
                    fastData.Used = true;
                    break;
                case "data":
                    int expected = shape is not null && shape.All(d => d > 0) && shape.Aggregate(1L, (a, d) => a * d) is long n && n <= 10_000_000 ? (int)n : 0;
                    data = TensorJson.ReadNumbers(ref reader, expected, "data", exact: false);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new RawInput(name, shape, datatype, data);
    }

    private static long[] ReadShape(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InputException(InputProblem.Invalid, "shape must be an array of whole numbers");
        }

        var dims = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long d) || d < 0)
            {
                throw new InputException(InputProblem.Invalid, "shape must be an array of non-negative whole numbers");
            }

            dims.Add(d);
            if (dims.Count > 8)
            {
                throw new InputException(InputProblem.Invalid, "shape has too many dimensions");
            }
        }

        return dims.ToArray();
    }

    private static List<string> ReadOutputs(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InputException(InputProblem.Invalid, "outputs must be an array of {\"name\": ...}");
        }

        var names = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InputException(InputProblem.Invalid, "each requested output must be an object with a name");
            }

            string? name = null;
            var seen = new JsonProperties("a requested output");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                seen.Add(ref reader);
                bool isName = reader.ValueTextEquals("name");
                reader.Read();
                if (isName && reader.TokenType == JsonTokenType.String)
                {
                    name = JsonProperties.ReadString(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            names.Add(name ?? throw new InputException(InputProblem.Invalid, "each requested output needs a name"));
        }

        return names;
    }
}
