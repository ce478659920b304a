using System.Text.Json;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Inference.Http;

/// <summary>
/// The JSON body of the predict route: <c>{"instances": [...]}</c>, each instance the model's input
/// values (flat or nested). One JSON value only (nothing after it), no duplicate property names.
/// </summary>
public static class PredictInstances
{
    public static (float[] Pixels, int Count) Parse(byte[] body, LoadedModel model, int maxImages)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Parse(body, model.ImageValues, maxImages);
    }

    /// <summary>Parses instances of <paramref name="imageValues"/> values each; bad input raises only <see cref="InputException"/>.</summary>
    public static (float[] Pixels, int Count) Parse(byte[] body, int imageValues, int maxImages)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return ParseCore(body, imageValues, maxImages);
        }
        catch (JsonException ex)
        {
            throw new InputException(InputProblem.Invalid, $"malformed JSON: {ex.Message}");
        }
    }

    private static (float[] Pixels, int Count) ParseCore(byte[] body, int imageValues, int maxImages)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InputException(InputProblem.Invalid, "the JSON body must be an object {\"instances\": [...]}");
        }

        var seen = new JsonProperties("the body");
        float[]? pixels = null;
        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            seen.Add(ref reader);
            bool instances = reader.ValueTextEquals("instances");
            reader.Read();
            if (!instances)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new InputException(InputProblem.Invalid, "instances must be an array of images");
            }

            var images = new List<float[]>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (images.Count >= maxImages)
                {
                    throw new InputException(InputProblem.TooLarge, $"at most {maxImages} instances per request");
                }

                images.Add(TensorJson.ReadNumbers(ref reader, imageValues, $"instances[{images.Count}]"));
            }

            count = images.Count;
            pixels = new float[count * imageValues];
            for (int i = 0; i < count; i++)
            {
                images[i].CopyTo(pixels, i * imageValues);
            }
        }

        JsonProperties.EnsureEnd(ref reader);
        if (pixels is null || count == 0)
        {
            throw new InputException(InputProblem.Invalid, "the JSON body needs a non-empty \"instances\" array (each instance: the model's input values, flat or nested)");
        }

        return (pixels, count);
    }
}
