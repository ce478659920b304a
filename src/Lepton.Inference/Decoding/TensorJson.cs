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

        // Straight into an array of the expected size (the shape came first); a body with more values than
        // announced grows it only when the caller checks the count itself.
        var values = new float[Math.Clamp(expectedCount, 0, 1 << 20)];
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
                    float v = ReadNumber(ref reader, what, count);
                    if (count < values.Length)
                    {
                        values[count] = v;
                    }
                    else if (!exact || expectedCount <= 0)
                    {
                        Array.Resize(ref values, Math.Max(16, values.Length * 2));
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

        if (exact && expectedCount > 0 && count != expectedCount)
        {
            throw new InputException(InputProblem.Invalid, $"{what}: expected {expectedCount} values, got {count}");
        }

        if (count != values.Length)
        {
            Array.Resize(ref values, count);
        }

        return values;
    }

    /// <summary>
    /// The current number as a float. Whole numbers of up to 9 digits (pixel bytes, the common case)
    /// are read digit by digit; anything else goes through the reader's double parsing.
    /// </summary>
    private static float ReadNumber(ref Utf8JsonReader reader, string what, int index)
    {
        if (!reader.HasValueSequence)
        {
            var text = reader.ValueSpan;
            if (text.Length is > 0 and <= 9)
            {
                int whole = 0;
                foreach (byte b in text)
                {
                    uint digit = (uint)(b - '0');
                    if (digit > 9)
                    {
                        goto General;
                    }

                    whole = (whole * 10) + (int)digit;
                }

                return whole;
            }
        }

    General:
        // A double that overflows float32 (1e39) becomes infinity: refuse it after the conversion.
        if (!reader.TryGetDouble(out double d) || !float.IsFinite((float)d))
        {
            throw new InputException(InputProblem.Invalid, $"{what}: value {index} is not a finite 32-bit float");
        }

        return (float)d;
    }
}
