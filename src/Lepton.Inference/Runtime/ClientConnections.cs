namespace Lepton.Inference.Runtime;

/// <summary>
/// The client connections open to this process's HTTP server, counted by a server that sees them
/// (<c>lepton serve</c>'s Kestrel connection middleware). A model runs a lone client's requests on its
/// spinning session (<see cref="InferenceOptions.SpinWhenAlone"/>) only while exactly one is open; with
/// none counted (a host that does not count, such as the Functions worker behind the host's proxy) no
/// client is ever taken to be alone.
/// </summary>
public static class ClientConnections
{
    private static int s_open;

    /// <summary>Open connections now.</summary>
    public static int Open => Volatile.Read(ref s_open);

    /// <summary>Exactly one client connection is open: its requests come one at a time.</summary>
    public static bool One => Volatile.Read(ref s_open) == 1;

    /// <summary>Counts a connection for as long as <paramref name="connection"/> runs.</summary>
    public static async Task TrackAsync(Func<Task> connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Interlocked.Increment(ref s_open);
        try
        {
            await connection().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref s_open);
        }
    }
}
