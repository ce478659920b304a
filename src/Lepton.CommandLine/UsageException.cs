namespace Lepton.CommandLine;

/// <summary>A command-line mistake: the message says what to fix; both executables exit with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
