using System.Globalization;

namespace Lepton.Cli;

/// <summary>A command-line mistake: printed with the usage hint, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Positional arguments and <c>--name value</c> options (flags take no value).</summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public CliArgs(IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(valueOptions);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
            }
            else if (flags?.Contains(arg) == true)
            {
                _flags.Add(arg);
            }
            else if (valueOptions.Contains(arg))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"{arg} needs a value");
                }

                _options[arg] = args[++i];
            }
            else
            {
                throw new UsageException($"unknown option '{arg}'");
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public bool Has(string flag) => _flags.Contains(flag);

    public string Require(string name) => Get(name) ?? throw new UsageException($"{name} is required");

    public int? GetInt(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        string? raw = Get(name);
        if (raw is null)
        {
            return null;
        }

        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} takes a whole number between {min} and {max}, not '{raw}'");
    }
}
