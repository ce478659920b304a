using Lepton.Core.Contracts;
using Lepton.Core.Data;

namespace Lepton.Core.Registry;

/// <summary>One tensor of a model's signature, as the Open Inference Protocol describes it (-1: any size).</summary>
public sealed record TensorSpec(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary>
/// manifest.json of an immutable model version (schema: docs/model-registry.md). Written last when a
/// version is published: a version without its manifest does not exist.
/// </summary>
public sealed record ModelManifest
{
    public const int CurrentSchema = 1;

    public int Schema { get; init; } = CurrentSchema;

    public required string Name { get; init; }

    public required int Version { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string? Architecture { get; init; }

    public required IReadOnlyList<TensorSpec> Inputs { get; init; }

    public required IReadOnlyList<TensorSpec> Outputs { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public Normalization? Normalization { get; init; }

    /// <summary>Scalar metrics (accuracy, macroF1, ...) measured on the held-out test set.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public string? DatasetVersion { get; init; }

    public string? RunId { get; init; }

    /// <summary>The sweep the version won (its id is <see cref="RunId"/>), or null when one run trained it.</summary>
    public SweepOrigin? Sweep { get; init; }

    /// <summary>Lower-case hex SHA-256 of model.onnx; servers refuse a file that does not match.</summary>
    public required string Sha256 { get; init; }

    public required long SizeBytes { get; init; }

    public long? Opset { get; init; }

    /// <summary>For a transfer model trained with <c>--fine-tune</c>: the backbone stage trained with the head (layer4); null: a frozen backbone.</summary>
    public string? FineTuned { get; init; }

    /// <summary>What the model does (absent in old manifests: classifier).</summary>
    public ModelKind Kind { get; init; }

    /// <summary>A generator's latent vector length.</summary>
    public int? LatentSize { get; init; }

    /// <summary>What the model takes and gives; for a manifest written before signatures, inferred from its tensors.</summary>
    public ModelSignature Signature
    {
        get => _signature ?? ModelSignature.Infer(Kind, Inputs[0], Outputs[0], Labels);
        init => _signature = value;
    }

    private readonly ModelSignature? _signature;
}

/// <summary>What a publisher says about a model; the registry adds name, version, time, hash and size.</summary>
public sealed record ModelDescription
{
    public string? Architecture { get; init; }

    public required IReadOnlyList<TensorSpec> Inputs { get; init; }

    public required IReadOnlyList<TensorSpec> Outputs { get; init; }

    public Normalization? Normalization { get; init; }

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public string? DatasetVersion { get; init; }

    public string? RunId { get; init; }

    /// <summary>The sweep the model won, when a sweep trained it.</summary>
    public SweepOrigin? Sweep { get; init; }

    public long? Opset { get; init; }

    /// <summary>For a transfer model trained with <c>--fine-tune</c>: the backbone stage trained with the head (layer4); null: a frozen backbone.</summary>
    public string? FineTuned { get; init; }

    /// <summary>What the model takes and gives (its kind, latent size and labels are read from it).</summary>
    public required ModelSignature Signature { get; init; }
}

/// <summary>Where a sweep's model came from: the sweep's id, the winning trial (its number, settings and run) and how many trials ran.</summary>
public sealed record SweepOrigin(string Id, int Trial, string Settings, string TrialRunId, int Trials);

/// <summary>Everything the registry knows of one model.</summary>
public sealed record ModelDetails(
    string Name,
    IReadOnlyDictionary<string, int> Aliases,
    IReadOnlyList<AliasChange> AliasHistory,
    IReadOnlyList<ModelManifest> Versions);

/// <summary>aliases.json of a model: alias to version, and every change made.</summary>
public sealed record AliasDocument
{
    public IReadOnlyDictionary<string, int> Aliases { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<AliasChange> History { get; init; } = [];
}

/// <summary>One alias move; <see cref="Previous"/> is null when the alias was new.</summary>
public sealed record AliasChange(string Alias, int Version, int? Previous, DateTimeOffset At);

/// <summary>Where an alias must point for a move to go ahead: anywhere (<see cref="Any"/>) or at one version (or nowhere).</summary>
public readonly record struct AliasExpectation(bool Anywhere, int? Version)
{
    public static AliasExpectation Any => new(true, null);

    /// <summary>The alias must point at <paramref name="version"/> (null: must not exist yet).</summary>
    public static AliasExpectation At(int? version) => new(false, version);

    public bool IsMetBy(int? current) => Anywhere || current == Version;
}

/// <summary>An alias moved between the read a decision was based on and the write (another promotion won).</summary>
public sealed class AliasMovedException(string name, string alias, int? expected, int? actual)
    : Exception($"the alias '{alias}' of '{name}' points at {Show(actual)} now, not {Show(expected)}: promoted meanwhile")
{
    public int? Actual { get; } = actual;

    private static string Show(int? version) => version is int v ? $"version {v}" : "no version";
}
