namespace Lepton.Core.Contracts;

/// <summary>What a dataset holds, and so which families can learn from it.</summary>
public enum DataKind
{
    /// <summary>Pictures (IDX files or image folders).</summary>
    Image,

    /// <summary>Rows with one free-text column.</summary>
    Text,

    /// <summary>Rows of numbers and categories.</summary>
    Table,
}

/// <summary>
/// The architectures the trainer registers, for what must check a job before any trainer runs (the
/// pipeline, the Functions app: they do not load TorchSharp). A test keeps this equal to the trainer's
/// registry.
/// </summary>
public static class KnownArchitectures
{
    /// <summary>The architecture a spec names when it leaves the choice to the data.</summary>
    public const string Auto = "auto";

    /// <summary>Every architecture name, in ordinal order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cnn", "cnn-bn", "dcgan", "gru", "lstm", "mlp", "resnet", "tabular-gbdt", "tabular-mlp", "text-bow", "text-gru", "text-lstm", "transfer"];

    /// <summary>The generative ones: their model is a generator, gated on Fréchet distance, not accuracy.</summary>
    public static IReadOnlyList<string> Generators { get; } = ["dcgan"];

    /// <summary>The families that read text.</summary>
    public static IReadOnlyList<string> TextFamilies { get; } = ["text-bow", "text-gru", "text-lstm"];

    /// <summary>The families that read table rows.</summary>
    public static IReadOnlyList<string> TableFamilies { get; } = ["tabular-mlp", "tabular-gbdt"];

    public static bool IsGenerator(string architecture) => Generators.Contains(architecture, StringComparer.Ordinal);

    /// <summary>What kind of data an architecture reads.</summary>
    public static DataKind DataOf(string architecture) =>
        TextFamilies.Contains(architecture, StringComparer.Ordinal) ? DataKind.Text
        : TableFamilies.Contains(architecture, StringComparer.Ordinal) ? DataKind.Table
        : DataKind.Image;

    /// <summary>The family <see cref="Auto"/> means for a kind of data: cnn for pictures, text-bow for text, tabular-mlp for tables.</summary>
    public static string ForData(DataKind kind) => kind switch
    {
        DataKind.Text => "text-bow",
        DataKind.Table => "tabular-mlp",
        _ => "cnn",
    };

    /// <summary>The architecture a spec trains on data of <paramref name="kind"/>; an error when the family cannot read it.</summary>
    public static string Resolve(string architecture, DataKind kind)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (architecture == Auto)
        {
            return ForData(kind);
        }

        var reads = DataOf(architecture);
        if (reads != kind)
        {
            string suggestion = kind switch
            {
                DataKind.Text => string.Join(", ", TextFamilies),
                DataKind.Table => string.Join(", ", TableFamilies),
                _ => "cnn, cnn-bn, mlp, gru, lstm, dcgan",
            };
            throw new ArgumentException($"architecture '{architecture}' reads {reads.ToString().ToLowerInvariant()} data, this dataset is {kind.ToString().ToLowerInvariant()}: use {suggestion}, or leave --arch out");
        }

        return architecture;
    }
}
