namespace Lepton.Inference.Runtime;

/// <summary>How models are served; bound from the <c>Lepton:Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    public const string Section = Core.Contracts.LeptonSettings.InferenceSection;

    /// <summary>Model versions kept loaded; the least recently used beyond this are unloaded.</summary>
    public int MaxLoadedModels { get; set; } = 8;

    /// <summary>How long an alias resolution is trusted before the registry is asked again.</summary>
    public TimeSpan AliasCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a version that failed its integrity check (hash, or ONNX Runtime cannot load it) is refused without trying again.</summary>
    public TimeSpan FailedLoadCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Merge concurrent requests into one session run (adaptive: no waiting when idle).</summary>
    public bool Batching { get; set; } = true;

    /// <summary>The most images one merged session run takes.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>ONNX Runtime intra-op threads per session (null: ONNX Runtime's default).</summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin between runs (its default) or sleep at once. Off:
    /// requests come one at a time, and a spinning pool takes the cores the HTTP server needs
    /// (docs/benchmarks.md, "Beside a plain ONNX Runtime server").
    /// </summary>
    public bool IntraOpSpinning { get; set; }

    /// <summary>
    /// A second session of each small model (at most <see cref="SpinWhenAloneMaxModelBytes"/>) whose
    /// intra-op threads do spin, used for single images while exactly one client connection is open
    /// (<see cref="ClientConnections"/>): a lone client's next request finds the pool awake instead of
    /// waking a sleeping thread, and there is no other request for the spinning core to starve. On for
    /// <c>lepton serve</c>; off where the server does not count its connections.
    /// </summary>
    public bool SpinWhenAlone { get; set; }

    /// <summary>The largest model (ONNX bytes) that gets the spinning session of <see cref="SpinWhenAlone"/>: it holds a second copy of the weights.</summary>
    public long SpinWhenAloneMaxModelBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest request body accepted, in bytes (larger: 413).</summary>
    public long MaxRequestBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The most images (or batch rows) one request may carry.</summary>
    public int MaxImagesPerRequest { get; set; } = 256;

    /// <summary>Whether to invert images: auto (when the border is light), always, never.</summary>
    public ImageInversion Inversion { get; set; } = ImageInversion.Auto;

    /// <summary>The largest image, in pixels, decoded (larger: 413).</summary>
    public long MaxImagePixels { get; set; } = Decoding.ImageDecoder.DefaultMaxPixels;

    /// <summary>Images decoded at once (each takes up to 8 bytes a pixel); null: one per core.</summary>
    public int? MaxConcurrentDecodes { get; set; }
}

/// <summary>Photos are dark objects on light backgrounds; MNIST-style models expect the opposite.</summary>
public enum ImageInversion
{
    Auto,
    Always,
    Never,
}
