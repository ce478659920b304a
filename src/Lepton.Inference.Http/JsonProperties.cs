using System.Text;
using System.Text.Json;
using Lepton.Inference.Decoding;

namespace Lepton.Inference.Http;

/// <summary>
/// The strictness request bodies share: a property name appears once per object, the body is one
/// JSON value with nothing after it (a body that means two things to two parsers is refused), and a
/// string that cannot be read as text is the client's mistake.
/// </summary>
internal sealed class JsonProperties(string what)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Records and returns the reader's current property name; a repeated one is a 400.</summary>
    public string Add(ref Utf8JsonReader reader)
    {
        string name = ReadString(ref reader);
        if (!_names.Add(name))
        {
            throw new InputException(InputProblem.Invalid, $"{what} has the property \"{Truncate(name)}\" twice");
        }

        return name;
    }

    /// <summary>
    /// The reader's current string or property name. On such a token <see cref="Utf8JsonReader.GetString"/>
    /// fails only on text it cannot transcode (bytes that are not UTF-8, an escaped lone surrogate): a 400
    /// (found by the fuzz target: it was a 500).
    /// </summary>
    public static string ReadString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
        {
            throw new InvalidOperationException($"a {reader.TokenType} token is not a string");
        }

        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is DecoderFallbackException)
        {
            throw new InputException(InputProblem.Invalid, "malformed JSON: a string is not valid UTF-8");
        }
        catch (InvalidOperationException)
        {
            throw new InputException(InputProblem.Invalid, "malformed JSON: a string escapes a lone surrogate");
        }
    }

    /// <summary>After the root object's end: anything more than whitespace is a 400.</summary>
    public static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
        {
            throw new InputException(InputProblem.Invalid, "malformed JSON: the body's object is not closed");
        }

        bool more;
        try
        {
            more = reader.Read();
        }
        catch (JsonException)
        {
            more = true;
        }

        if (more)
        {
            throw new InputException(InputProblem.Invalid, "malformed JSON: there is more after the body's object");
        }
    }

    private static string Truncate(string name) => name.Length <= 40 ? name : name[..40] + "...";
}
