namespace Lepton.Inference.Http;

/// <summary>A host of the HTTP API.</summary>
public enum ApiHost
{
    /// <summary><c>lepton serve</c>.</summary>
    Serve,

    /// <summary>The Functions app.</summary>
    Functions,
}
