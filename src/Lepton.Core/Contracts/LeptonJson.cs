using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lepton.Core.Contracts;

/// <summary>The JSON conventions of every Lepton file: camelCase, indented, enums as strings.</summary>
public static class LeptonJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new InvalidDataException($"{source}: empty JSON document");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }
    }

    public static T ReadFile<T>(string path) => Deserialize<T>(File.ReadAllText(path), path);

    /// <summary>Writes atomically (a temporary file renamed over the target), so a reader never sees half a file.</summary>
    public static void WriteFile<T>(string path, T value)
    {
        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temp, Serialize(value));
        File.Move(temp, path, overwrite: true);
    }
}
