using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lepton.Core.Contracts;

/// <summary>
/// The <c>sweep</c> section of a training job spec: train several trials, each the spec with some of its
/// settings replaced, and keep the best by validation accuracy. A grid (every combination of the values)
/// unless <see cref="Trials"/> asks for random search (that many distinct combinations, drawn with the
/// spec's seed). The pipeline runs it; the trainer is handed each trial's spec, without this section.
/// </summary>
public sealed record SweepSpec
{
    /// <summary>The most trials a sweep may have (a grid's combinations, or <see cref="Trials"/>).</summary>
    public const int MaxTrials = 64;

    /// <summary>Settings a trial cannot change: where it reads and writes, and the sweep itself.</summary>
    public static readonly IReadOnlySet<string> Fixed = new HashSet<string>(StringComparer.Ordinal) { "data", "output", "resume", "sweep" };

    /// <summary>Settings that change how the dataset is prepared: a trial setting one prepares its own.</summary>
    public static readonly IReadOnlySet<string> Preparation = new HashSet<string>(StringComparer.Ordinal) { "imageSize", "channels" };

    /// <summary>Each setting swept (a job spec field, camelCase: <c>learningRate</c>, <c>batchSize</c>, <c>architecture</c>...) and its values, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> Parameters { get; init; } = new Dictionary<string, IReadOnlyList<JsonElement>>();

    /// <summary>Random search: this many distinct combinations (null: grid, every combination).</summary>
    public int? Trials { get; init; }

    /// <summary>The most trials training at once (null: the compute target's capacity: the cores here, the cluster's nodes on Azure ML).</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Median stopping: a trial whose validation accuracy after an epoch is below the median of the other trials' at that epoch is stopped.</summary>
    public bool EarlyTermination { get; init; }

    /// <summary>The first epoch at which median stopping judges a trial.</summary>
    public int EarlyTerminationFromEpoch { get; init; } = 1;

    /// <summary>Every problem with the section, empty when it is valid (each trial's spec is checked on its own by the caller).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Parameters is null || Parameters.Count == 0)
        {
            errors.Add("sweep: at least one setting to sweep (parameters)");
            return errors;
        }

        var fields = SpecFields();
        foreach (var (name, values) in Parameters)
        {
            if (!fields.Contains(name))
            {
                errors.Add($"sweep: '{name}' is not a training setting (settings: {string.Join(", ", fields.Where(f => !Fixed.Contains(f)))})");
            }
            else if (Fixed.Contains(name))
            {
                errors.Add($"sweep: '{name}' cannot be swept");
            }

            if (values is null || values.Count == 0)
            {
                errors.Add($"sweep: '{name}' needs at least one value");
            }
            else if (values.Select(v => v.GetRawText()).Distinct(StringComparer.Ordinal).Count() != values.Count)
            {
                errors.Add($"sweep: '{name}' has a value twice");
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        long combinations = Combinations;
        if (Trials is int trials)
        {
            if (trials < 1 || trials > MaxTrials)
            {
                errors.Add($"sweep: trials must be between 1 and {MaxTrials}, not {trials}");
            }
            else if (trials > combinations)
            {
                errors.Add($"sweep: {trials} trials asked, but the values make only {combinations} distinct combinations");
            }
        }
        else if (combinations > MaxTrials)
        {
            errors.Add($"sweep: the grid has {combinations} combinations, more than {MaxTrials}; sweep fewer values or draw some at random (trials)");
        }

        if (MaxConcurrent is < 1 or > MaxTrials)
        {
            errors.Add($"sweep: max concurrent must be between 1 and {MaxTrials}, not {MaxConcurrent}");
        }

        if (EarlyTerminationFromEpoch < 1)
        {
            errors.Add($"sweep: early termination starts at epoch 1 or later, not {EarlyTerminationFromEpoch}");
        }

        return errors;
    }

    /// <summary>How many combinations the values make.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long Combinations => Parameters.Values.Aggregate(1L, (n, values) => Math.Min(long.MaxValue / 1024, n * Math.Max(1, values.Count)));

    /// <summary>The trials, in order: each setting's value. A grid in the order the values are given (the last setting fastest); random search draws with <paramref name="seed"/>.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Expand(int seed)
    {
        var names = Parameters.Keys.ToArray();
        var grid = new List<IReadOnlyDictionary<string, JsonElement>>();
        void Walk(int depth, Dictionary<string, JsonElement> chosen)
        {
            if (depth == names.Length)
            {
                grid.Add(new Dictionary<string, JsonElement>(chosen, StringComparer.Ordinal));
                return;
            }

            foreach (var value in Parameters[names[depth]])
            {
                chosen[names[depth]] = value;
                Walk(depth + 1, chosen);
            }
        }

        Walk(0, new Dictionary<string, JsonElement>(StringComparer.Ordinal));
        if (Trials is not int trials)
        {
            return grid;
        }

        // A seeded Random is the same sequence on every machine and .NET version (its legacy algorithm).
        var random = new Random(seed);
        var drawn = grid.ToArray();
        for (int i = 0; i < trials; i++)
        {
            int j = random.Next(i, drawn.Length);
            (drawn[i], drawn[j]) = (drawn[j], drawn[i]);
        }

        return drawn.Take(trials).ToArray();
    }

    /// <summary>A trial's spec: <paramref name="spec"/> with the trial's settings over it and no sweep section.</summary>
    public static TrainingJobSpec Apply(TrainingJobSpec spec, IReadOnlyDictionary<string, JsonElement> settings)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(settings);
        var merged = JsonNode.Parse(LeptonJson.Serialize(spec with { Sweep = null }))!.AsObject();
        foreach (var (name, value) in settings)
        {
            merged[name] = JsonNode.Parse(value.GetRawText());
        }

        return LeptonJson.Deserialize<TrainingJobSpec>(merged.ToJsonString(), "sweep");
    }

    /// <summary>A trial's settings as text: <c>learningRate=0.003 batchSize=64</c>.</summary>
    public static string Describe(IReadOnlyDictionary<string, JsonElement> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.Join(" ", settings.Select(s => $"{s.Key}={(s.Value.ValueKind == JsonValueKind.String ? s.Value.GetString() : s.Value.GetRawText())}"));
    }

    /// <summary>A command-line value as JSON: a number, true/false, null, else a string (the spec's types check it when applied).</summary>
    public static JsonElement ParseValue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || trimmed is "true" or "false" or "null")
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // "1." and the like: taken as text below
            }
        }

        return JsonSerializer.SerializeToElement(trimmed);
    }

    /// <summary>The job spec's JSON field names.</summary>
    public static IReadOnlySet<string> SpecFields() =>
        new HashSet<string>(typeof(TrainingJobSpec).GetProperties().Where(p => p.CanWrite).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)), StringComparer.Ordinal);
}
