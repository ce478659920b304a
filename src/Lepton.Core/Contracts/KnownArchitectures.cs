namespace Lepton.Core.Contracts;

/// <summary>
/// The architectures the trainer registers, for what must check a job before any trainer runs (the
/// pipeline, the Functions app: they do not load TorchSharp). A test keeps this equal to the trainer's
/// registry.
/// </summary>
public static class KnownArchitectures
{
    /// <summary>Every architecture name, in ordinal order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cnn", "cnn-bn", "dcgan", "gru", "lstm", "mlp", "resnet", "transfer"];

    /// <summary>The generative ones: their model is a generator, gated on Fréchet distance, not accuracy.</summary>
    public static IReadOnlyList<string> Generators { get; } = ["dcgan"];

    public static bool IsGenerator(string architecture) => Generators.Contains(architecture, StringComparer.Ordinal);
}
