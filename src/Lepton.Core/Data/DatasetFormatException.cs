namespace Lepton.Core.Data;

/// <summary>A dataset file that is not what it claims to be. The message names the file and the problem.</summary>
public sealed class DatasetFormatException : Exception
{
    public DatasetFormatException(string path, string problem)
        : base($"{path}: {problem}")
    {
        FilePath = path;
        Problem = problem;
    }

    public DatasetFormatException()
    {
        FilePath = string.Empty;
        Problem = string.Empty;
    }

    public DatasetFormatException(string message) : base(message)
    {
        FilePath = string.Empty;
        Problem = message;
    }

    public DatasetFormatException(string message, Exception innerException) : base(message, innerException)
    {
        FilePath = string.Empty;
        Problem = message;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
