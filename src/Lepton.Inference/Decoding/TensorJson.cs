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

    /// <summary>
    /// The fast path for the common tensor body: when <paramref name="body"/> has exactly one
    /// <c>"property": [...]</c> and that array is flat whole numbers of up to 9 digits (pixel bytes), reads
    /// them straight from the bytes into an array and returns the body with the array replaced by a
    /// single <c>0</c>, to be parsed by <see cref="Utf8JsonReader"/> in its place: the reader then walks a
    /// few dozen tokens instead of one per value. <paramref name="at"/> is where the <c>0</c> stands; the
    /// caller takes <paramref name="values"/> only when its reader meets the property's value there, and
    /// parses the original body otherwise. The two bodies are equally valid JSON, since a flat array of
    /// numbers and a number are both values. False (and nothing read) for anything else: decimals,
    /// signs, exponents, nested arrays, the property twice, or a larger array than <paramref name="maxValues"/>.
    /// </summary>
    public static bool TrySpliceWholeNumbers(byte[] body, ReadOnlySpan<byte> property, int maxValues, out byte[] spliced, out int at, out float[] values)
    {
        ArgumentNullException.ThrowIfNull(body);
        spliced = body;
        at = -1;
        values = [];
        ReadOnlySpan<byte> span = body;
        int key = FindKey(span, property);
        if (key < 0 || FindKey(span[(key + property.Length + 2)..], property) >= 0)
        {
            return false; // absent, or there twice (a nested object may have its own): the reader decides
        }

        int p = SkipSpace(span, key + property.Length + 2);
        if (p >= span.Length || span[p] != (byte)':')
        {
            return false;
        }

        p = SkipSpace(span, p + 1);
        if (p >= span.Length || span[p] != (byte)'[')
        {
            return false;
        }

        int open = p;
        float[] buffer = new float[Math.Min(maxValues, Math.Max(16, (span.Length - open) / 2))];
        int count = 0;
        p = SkipSpace(span, p + 1);
        if (p < span.Length && span[p] == (byte)']')
        {
            return false; // an empty array: let the reader say what is wrong
        }

        while (true)
        {
            int start = p, whole = 0;
            while (p < span.Length && (uint)(span[p] - '0') <= 9)
            {
                whole = (whole * 10) + (span[p] - '0');
                p++;
            }

            if (p == start || p - start > 9 || (p - start > 1 && span[start] == (byte)'0') || count >= buffer.Length)
            {
                return false; // not a whole number of up to 9 digits (JSON allows no leading zeros), or too many
            }

            buffer[count++] = whole;
            p = SkipSpace(span, p);
            if (p >= span.Length)
            {
                return false;
            }

            if (span[p] == (byte)']')
            {
                break;
            }

            if (span[p] != (byte)',')
            {
                return false;
            }

            p = SkipSpace(span, p + 1);
        }

        int close = p + 1;
        spliced = new byte[open + 1 + (span.Length - close)];
        span[..open].CopyTo(spliced);
        spliced[open] = (byte)'0';
        span[close..].CopyTo(spliced.AsSpan(open + 1));
        at = open;
        values = count == buffer.Length ? buffer : buffer[..count];
        return true;
    }

    /// <summary>Where <c>"name"</c> (quotes included) starts in <paramref name="json"/> outside escapes, or -1.</summary>
    private static int FindKey(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
    {
        int from = 0;
        while (true)
        {
            int i = json[from..].IndexOf((byte)'"');
            if (i < 0)
            {
                return -1;
            }

            i += from;
            // A quote inside a string is escaped ("\""); the name's two quotes must both be real ones.
            if (json.Length - i >= name.Length + 2 && json.Slice(i + 1, name.Length).SequenceEqual(name) && json[i + 1 + name.Length] == (byte)'"'
                && (i == 0 || json[i - 1] != (byte)'\\'))
            {
                return i;
            }

            from = i + 1;
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> json, int p)
    {
        while (p < json.Length && json[p] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            p++;
        }

        return p;
    }
}
