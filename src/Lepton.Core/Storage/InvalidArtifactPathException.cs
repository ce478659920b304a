namespace Lepton.Core.Storage;

/// <summary>
/// An artifact path (or listing prefix) that is not allowed (see <see cref="ArtifactPath"/>). An
/// <see cref="ArgumentException"/> to the store's callers; the HTTP layer maps it, by type, to 400.
/// </summary>
public sealed class InvalidArtifactPathException : ArgumentException
{
    public InvalidArtifactPathException()
    {
    }

    public InvalidArtifactPathException(string message)
        : base(message)
    {
    }

    public InvalidArtifactPathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InvalidArtifactPathException(string message, string paramName)
        : base(message, paramName)
    {
    }
}
