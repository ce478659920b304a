using System.Text.RegularExpressions;

namespace Lepton.Core.Registry;

/// <summary>Model and alias names: lower-case letters, digits and '-', starting with a letter or digit.</summary>
public static partial class RegistryNames
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex ModelPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,31}\z")]
    private static partial Regex AliasPattern();

    public static bool IsValidModelName(string? name) => name is not null && ModelPattern().IsMatch(name);

    public static bool IsValidAlias(string? alias) => alias is not null && AliasPattern().IsMatch(alias);

    public static void ValidateModelName(string? name)
    {
        if (!IsValidModelName(name))
        {
            throw new InvalidNameException(
                $"invalid model name '{name}': use 1-63 lower-case letters, digits and '-', starting with a letter or digit");
        }
    }

    public static void ValidateAlias(string? alias)
    {
        if (!IsValidAlias(alias))
        {
            throw new InvalidNameException(
                $"invalid alias '{alias}': use 1-32 lower-case letters, digits and '-', starting with a letter");
        }
    }
}

/// <summary>A model or alias name that is not allowed.</summary>
public sealed class InvalidNameException(string message) : Exception(message);

/// <summary>
/// A registry file (a manifest, an alias document) that exists but cannot be read: the model it belongs
/// to is not served until it is repaired; other models are unaffected.
/// </summary>
public sealed class RegistryDataException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A model, version or alias that does not exist.</summary>
public sealed class ModelNotFoundException(string message) : Exception(message);
