namespace Lepton.Training.Export;

/// <summary>A model the exporter cannot translate faithfully; the message names the module.</summary>
public sealed class OnnxExportException : Exception
{
    public OnnxExportException()
    {
    }

    public OnnxExportException(string message) : base(message)
    {
    }

    public OnnxExportException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
