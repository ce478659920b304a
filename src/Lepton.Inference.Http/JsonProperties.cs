using System.Text.Json;
using Lepton.Inference.Decoding;

namespace Lepton.Inference.Http;

/// <summary>
/// The strictness request bodies share: a property name appears once per object, and the body is one
/// JSON value with nothing after it (a body that means two things to two parsers is refused).
/// </summary>
internal sealed class JsonProperties(string what)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Records the reader's current property name; a repeated one is a 400.</summary>
    public void Add(ref Utf8JsonReader reader)
    {
        string name = reader.GetString()!;
        if (!_names.Add(name))
        {
            throw new InputException(InputProblem.Invalid, $"{what} has the property \"{Truncate(name)}\" twice");
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
