namespace Lepton.Inference.Decoding;

/// <summary>
/// Bounds how many images are decoded at once, so the memory decoding takes has a ceiling: at most
/// <see cref="Concurrency"/> decodes of up to 8 bytes a pixel each. Waiters queue without holding a thread.
/// </summary>
public sealed class DecodeGate(int? concurrency = null) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, concurrency ?? Environment.ProcessorCount));

    public int Concurrency { get; } = Math.Max(1, concurrency ?? Environment.ProcessorCount);

    /// <summary>Runs <paramref name="decode"/> when a slot is free.</summary>
    public async Task<T> RunAsync<T>(Func<T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return decode();
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
