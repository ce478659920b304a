using System.Text.RegularExpressions;

namespace Lepton.Core.Storage;

/// <summary>
/// Validates artifact paths: <c>container/segment/...</c>, segments of letters, digits, '.', '-' and '_',
/// no empty, '.' or '..' segment, so a path can never leave its store.
/// </summary>
public static partial class ArtifactPath
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,62}\z")]
    private static partial Regex ContainerPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}\z")]
    private static partial Regex SegmentPattern();

    /// <summary>Splits a valid path into its container and the rest; throws <see cref="InvalidArtifactPathException"/> otherwise.</summary>
    public static (string Container, string Name) Split(string path)
    {
        Validate(path);
        int slash = path.IndexOf('/', StringComparison.Ordinal);
        return (path[..slash], path[(slash + 1)..]);
    }

    public static void Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] segments = path.Split('/');
        if (segments.Length < 2)
        {
            throw new InvalidArtifactPathException($"artifact path '{path}' needs a container and a name", nameof(path));
        }

        if (!ContainerPattern().IsMatch(segments[0]))
        {
            throw new InvalidArtifactPathException($"artifact path '{path}': '{segments[0]}' is not a valid container name", nameof(path));
        }

        foreach (string segment in segments.Skip(1))
        {
            if (segment is "." or ".." || !SegmentPattern().IsMatch(segment))
            {
                throw new InvalidArtifactPathException($"artifact path '{path}': segment '{segment}' is not allowed", nameof(path));
            }
        }
    }

    /// <summary>Validates a listing prefix: a container, optionally followed by '/' and a partial path.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string trimmed = prefix.TrimEnd('/');
        if (!trimmed.Contains('/', StringComparison.Ordinal))
        {
            if (!ContainerPattern().IsMatch(trimmed))
            {
                throw new InvalidArtifactPathException($"prefix '{prefix}': '{trimmed}' is not a valid container name", nameof(prefix));
            }

            return;
        }

        Validate(trimmed);
    }
}
