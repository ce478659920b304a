using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Lepton.CommandLine;

/// <summary>
/// Options as both executables write them: values checked at parse time with a message that names the
/// option (<c>--epochs takes a whole number, not 'x'</c>), and every option's default in its help row
/// (from its default value, or <c>[default: text]</c> where the default is not a value).
/// </summary>
public static class CliOptions
{
    public static Option<int> Whole(string name, string description, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        Last(new Option<int>(name) { Description = description, HelpName = "n", DefaultValueFactory = _ => defaultValue }, (r, raw) => ParseWhole(r, name, raw, min, max) ?? defaultValue);

    public static Option<int?> Whole(string name, string description, string defaultText, int min = int.MinValue, int max = int.MaxValue) =>
        Last(new Option<int?>(name) { Description = WithDefault(description, defaultText), HelpName = "n" }, (r, raw) => ParseWhole(r, name, raw, min, max));

    public static Option<double> Number(string name, string description, double defaultValue) =>
        Last(new Option<double>(name) { Description = description, HelpName = "x", DefaultValueFactory = _ => defaultValue }, (r, raw) => ParseNumber(r, name, raw) ?? defaultValue);

    public static Option<double?> Number(string name, string description, string defaultText) =>
        Last(new Option<double?>(name) { Description = WithDefault(description, defaultText), HelpName = "x" }, (r, raw) => ParseNumber(r, name, raw));

    public static Option<string> Text(string name, string helpName, string description, string defaultValue) =>
        Last(new Option<string>(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue }, (_, raw) => raw);

    /// <summary>A value whose absence means something said in <paramref name="defaultText"/> (all, none, an environment variable).</summary>
    public static Option<string?> Optional(string name, string helpName, string description, string defaultText) =>
        Last(new Option<string?>(name) { Description = WithDefault(description, defaultText), HelpName = helpName }, (_, raw) => raw);

    public static Option<string> Required(string name, string helpName, string description) =>
        Last(new Option<string>(name) { Description = description, HelpName = helpName, Required = true }, (_, raw) => raw);

    /// <summary>One of a few names; anything else is "--name takes a or b, not 'x'".</summary>
    public static Option<T?> Choice<T>(string name, string description, string defaultText, IReadOnlyDictionary<string, T> choices)
        where T : struct =>
        Last(new Option<T?>(name) { Description = WithDefault(description, defaultText), HelpName = string.Join('|', choices.Keys) }, (r, raw) =>
        {
            if (choices.TryGetValue(raw, out var value))
            {
                return value;
            }

            r.AddError($"{name} takes {string.Join(" or ", choices.Keys)}, not '{raw}'");
            return null;
        });

    /// <summary>A flag that is off unless given.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = WithDefault(description, "off"), Arity = ArgumentArity.Zero };

    /// <summary>
    /// A setting that is on or off: <c>--name</c> or <c>--name true</c> turns it on, <c>--no-name</c> or
    /// <c>--name false</c> off; null when not given.
    /// </summary>
    public static Option<bool?> Switch(string name, string description, string defaultText)
    {
        string off = "--no-" + name[2..];
        return new Option<bool?>(name, off)
        {
            Description = WithDefault(description, defaultText),
            HelpName = "true|false",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = r =>
            {
                var option = (OptionResult)r.Parent!;
                string given = option.IdentifierToken?.Value ?? name;
                if (option.IdentifierTokenCount > 1)
                {
                    r.AddError($"give one of {name} and {off}, once");
                    return null;
                }

                if (r.Tokens.Count == 0)
                {
                    return given != off;
                }

                string value = r.Tokens[0].Value;
                if (given == off)
                {
                    r.AddError($"{off} takes no value (or give {name} {value})");
                    return null;
                }

                if (value is "true" or "false")
                {
                    return value == "true";
                }

                r.AddError($"{name} takes true or false, not '{value}'");
                return null;
            },
        };
    }

    /// <summary>Positional arguments that refuse what looks like an option: an unknown option is named as one, not taken for a file.</summary>
    public static Argument<T> Positional<T>(string name, string description, ArgumentArity arity)
    {
        var argument = new Argument<T>(name) { Description = description, Arity = arity };
        argument.Validators.Add(r =>
        {
            foreach (var token in r.Tokens.Where(t => t.Value.Length > 1 && t.Value.StartsWith('-')))
            {
                r.AddError($"unknown option '{token.Value}'");
            }
        });
        return argument;
    }

    /// <summary>A positional version number: "version must be a positive whole number, not 'x'".</summary>
    public static Argument<int?> Version(string description, ArgumentArity arity)
    {
        var argument = Positional<int?>("version", description, arity);
        argument.CustomParser = r =>
        {
            string raw = r.Tokens[0].Value;
            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1)
            {
                return value;
            }

            r.AddError($"version must be a positive whole number, not '{raw}'");
            return null;
        };
        return argument;
    }

    public static string WithDefault(string description, string defaultText) => $"{description} [default: {defaultText}]";

    /// <summary>
    /// One value per use of the option, the last use winning (<c>scripts/run.sh --epochs 30</c> overrides the
    /// script's own <c>--epochs 5</c>), as both executables have always read repeated options.
    /// </summary>
    private static Option<T> Last<T>(Option<T> option, Func<ArgumentResult, string, T> parse)
    {
        option.Arity = ArgumentArity.OneOrMore;
        option.AllowMultipleArgumentsPerToken = false;
        option.CustomParser = r => parse(r, r.Tokens[^1].Value);
        return option;
    }

    private static int? ParseWhole(ArgumentResult result, string name, string raw, int min, int max)
    {
        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(min == int.MinValue && max == int.MaxValue
            ? $"{name} takes a whole number, not '{raw}'"
            : $"{name} takes a whole number between {min} and {max}, not '{raw}'");
        return null;
    }

    private static double? ParseNumber(ArgumentResult result, string name, string raw)
    {
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }

        result.AddError($"{name} takes a number, not '{raw}'");
        return null;
    }
}
