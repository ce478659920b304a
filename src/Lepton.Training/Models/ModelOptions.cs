using Lepton.Core.Data;

namespace Lepton.Training.Models;

/// <summary>What an architecture needs to build a model: the input geometry, classes and normalization.</summary>
/// <param name="HiddenSize">The state size of recurrent layers (recurrent families only).</param>
/// <param name="LatentSize">The length of a generator's latent vector (generative families only).</param>
public sealed record ModelOptions(
    int Classes,
    Normalization Normalization,
    int Channels = 1,
    int Height = 28,
    int Width = 28,
    int HiddenSize = ModelOptions.DefaultHiddenSize,
    int LatentSize = ModelOptions.DefaultLatentSize)
{
    /// <summary>Text families: the token ids in use (vocabulary + pad + unknown).</summary>
    public int TokenIds { get; init; }

    /// <summary>Text families: ids per text (T).</summary>
    public int MaxTokens { get; init; }

    /// <summary>Table families: features per row (F).</summary>
    public int Features { get; init; }

    public const int DefaultHiddenSize = 128;

    public const int DefaultLatentSize = 64;
}
