using System.Text.Json;

namespace Lepton.Inference.Decoding;

/// <summary>Reads numeric tensor data from JSON: a flat array or nested arrays of any depth.</summary>
public static class TensorJson
{
    /// <summary>
    /// Reads every number of <paramref name="reader"/>'s current array (flat or nested). With
    /// <paramref name="exact"/>, exactly <paramref name="expectedCount"/> values must be there; otherwise
    /// it is only a capacity hint and the caller checks the count.
    /// </summary>
    public static float[] ReadNumbers(ref Utf8JsonReader reader, int expectedCount, string what, bool exact = true)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InputException(InputProblem.Invalid, $"{what}: expected an array of numbers");
        }

        var values = exact && expectedCount > 0 ? new float[expectedCount] : [];
        var overflow = exact && expectedCount > 0 ? null : new List<float>(Math.Clamp(expectedCount, 16, 1 << 20));
        int count = 0;
        int depth = 0;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    depth++;
                    if (depth > 8)
                    {
                        throw new InputException(InputProblem.Invalid, $"{what}: arrays nested deeper than 8 levels");
                    }

                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.Number:
                    // A double that overflows float32 (1e39) becomes infinity: refuse it after the conversion.
                    if (!reader.TryGetDouble(out double d) || !float.IsFinite((float)d))
                    {
                        throw new InputException(InputProblem.Invalid, $"{what}: value {count} is not a finite 32-bit float");
                    }

                    float v = (float)d;
                    if (overflow is not null)
                    {
                        overflow.Add(v);
                    }
                    else if (count < values.Length)
                    {
                        values[count] = v;
                    }

                    count++;
                    break;
                default:
                    throw new InputException(InputProblem.Invalid, $"{what}: value {count} is {reader.TokenType}, not a number");
            }
        }
        while (depth > 0 && reader.Read());

        if (depth != 0)
        {
            throw new InputException(InputProblem.Invalid, $"{what}: unterminated array");
        }

        if (overflow is not null)
        {
            return overflow.ToArray();
        }

        if (count != expectedCount)
        {
            throw new InputException(InputProblem.Invalid, $"{what}: expected {expectedCount} values, got {count}");
        }

        return values;
    }
}
