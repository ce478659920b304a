using System.CommandLine;
using System.Text.Json;
using Lepton.Core.Contracts;

namespace Lepton.CommandLine;

/// <summary>
/// The training job spec's <c>sweep</c> section as options of <c>lepton pipeline run</c>:
/// <c>--sweep SETTING=V1,V2,...</c> (repeatable; the setting by its option name, <c>lr</c>, <c>batch-size</c>,
/// <c>arch</c>, or its field name), <c>--trials N</c> (random search), <c>--max-concurrent K</c> and
/// <c>--early-termination</c> (median stopping). Given, they override the <c>--spec</c> file's sweep fields.
/// </summary>
internal sealed class SweepOptions
{
    public SweepOptions(TrainingOptions settings)
    {
        Sweep = new Option<string[]>("--sweep")
        {
            Description = CliOptions.WithDefault("sweep a setting over values, e.g. --sweep lr=0.001,0.003 --sweep batch-size=64,128 (every combination unless --trials)", "no sweep"),
            HelpName = "setting=v1,v2,...",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        Sweep.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                if (Parse(settings, token.Value, out _, out _) is { } problem)
                {
                    r.AddError(problem);
                }
            }
        });
        _settings = settings;
    }

    private readonly TrainingOptions _settings;

    public Option<string[]> Sweep { get; }

    public Option<int?> Trials { get; } = CliOptions.Whole("--trials", "sweep: random search, this many distinct combinations of the --sweep values", "every combination (grid)", 1, SweepSpec.MaxTrials);

    public Option<int?> MaxConcurrent { get; } = CliOptions.Whole("--max-concurrent", "sweep: at most this many trials train at once", "half the cores; on Azure ML the cluster's nodes", 1, SweepSpec.MaxTrials);

    public Option<bool> EarlyTermination { get; } = CliOptions.Flag("--early-termination", "sweep: median stopping, a trial below the median of the others' validation accuracy at the same epoch is stopped");

    public IEnumerable<Option> Options => [Sweep, Trials, MaxConcurrent, EarlyTermination];

    /// <summary>The sweep the options given make over <paramref name="fromSpec"/> (the <c>--spec</c> file's), or it unchanged.</summary>
    public SweepSpec? Bind(ParseResult result, SweepSpec? fromSpec)
    {
        bool Given(Option option) => result.GetResult(option) is { Implicit: false };
        if (!Options.Any(Given))
        {
            return fromSpec;
        }

        var sweep = fromSpec ?? new SweepSpec();
        if (Given(Sweep))
        {
            var parameters = new Dictionary<string, IReadOnlyList<JsonElement>>(StringComparer.Ordinal);
            foreach (string text in result.GetValue(Sweep) ?? [])
            {
                _ = Parse(_settings, text, out string field, out var values);
                parameters[field] = values;
            }

            sweep = sweep with { Parameters = parameters };
        }

        if (Given(Trials))
        {
            sweep = sweep with { Trials = result.GetValue(Trials) };
        }

        if (Given(MaxConcurrent))
        {
            sweep = sweep with { MaxConcurrent = result.GetValue(MaxConcurrent) };
        }

        if (Given(EarlyTermination))
        {
            sweep = sweep with { EarlyTermination = result.GetValue(EarlyTermination) };
        }

        return sweep;
    }

    /// <summary>Reads <c>setting=v1,v2</c>; the problem, or null when it reads.</summary>
    private static string? Parse(TrainingOptions settings, string text, out string field, out IReadOnlyList<JsonElement> values)
    {
        field = string.Empty;
        values = [];
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == text.Length - 1)
        {
            return $"--sweep takes setting=value1,value2,..., not '{text}'";
        }

        string setting = text[..equals].Trim();
        if (settings.FieldOf(setting) is not { } known || SweepSpec.Fixed.Contains(known))
        {
            return $"--sweep: '{setting}' is not a training setting that can be swept";
        }

        field = known;
        values = text[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(SweepSpec.ParseValue).ToArray();
        return values.Count == 0 ? $"--sweep {setting}: no values" : null;
    }
}
