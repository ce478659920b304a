using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Lepton.CommandLine;

/// <summary>
/// Runs a command tree as both executables do: a usage mistake (a parse error, an unknown option or
/// argument, a <see cref="UsageException"/> from a command) prints <c>program: message</c> and where the help
/// is on stderr and exits with 2; <c>--help</c> on any command prints its options with their defaults.
/// Other exceptions go to the caller, which maps its known errors to exit codes. Signals are left to the
/// commands (no handler of the library's own: <c>lepton pipeline run</c> has <c>ShutdownSignals</c>).
/// </summary>
public static class CommandLineApp
{
    public const int UsageExitCode = 2;

    public static async Task<int> RunAsync(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = output, Error = error };
        if (args.Count == 0 && root.Action is null)
        {
            await root.Parse(["--help"]).InvokeAsync(configuration).ConfigureAwait(false);
            return UsageExitCode;
        }

        var result = Parse(root, args);
        if (Problems(result) is { Count: > 0 } problems)
        {
            await WriteUsageErrorAsync(result, string.Join("; ", problems), error).ConfigureAwait(false);
            return UsageExitCode;
        }

        try
        {
            return await result.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await WriteUsageErrorAsync(result, ex.Message, error).ConfigureAwait(false);
            return UsageExitCode;
        }
    }

    /// <summary>Parses with unknown tokens reported by <see cref="Problems"/> (as "unknown option '--x'") rather than by the library.</summary>
    public static ParseResult Parse(Command root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        var commands = Commands(root).ToList();
        commands.ForEach(c => c.TreatUnmatchedTokensAsErrors = false);
        try
        {
            return root.Parse(args);
        }
        finally
        {
            // Only while parsing: help shows no "additional arguments", which no command takes.
            commands.ForEach(c => c.TreatUnmatchedTokensAsErrors = true);
        }
    }

    /// <summary>What <paramref name="bind"/> makes of <paramref name="args"/> parsed by <paramref name="command"/>; a usage mistake throws <see cref="UsageException"/>.</summary>
    public static T Bind<T>(Command command, IReadOnlyList<string> args, Func<ParseResult, T> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        var result = Parse(command, args);
        return Problems(result) is { Count: > 0 } problems ? throw new UsageException(string.Join("; ", problems)) : bind(result);
    }

    /// <summary>Every usage mistake in <paramref name="result"/>; none when it asks for help.</summary>
    public static IReadOnlyList<string> Problems(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Action is HelpAction)
        {
            return [];
        }

        // A word where a subcommand is expected is an unknown command (not "no command" and an extra argument).
        var command = result.CommandResult.Command;
        if (command.Action is null && command.Subcommands.Count > 0 && result.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-')) is { } word)
        {
            return [$"unknown command '{word}' ({string.Join(", ", command.Subcommands.Select(c => c.Name))})"];
        }

        return result.Errors.Select(e => e.Message)
            .Concat(result.UnmatchedTokens.Select(t => t.StartsWith('-') ? $"unknown option '{t}'" : $"unexpected argument '{t}'"))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The command and all its subcommands.</summary>
    public static IEnumerable<Command> Commands(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        yield return root;
        foreach (var sub in root.Subcommands.SelectMany(Commands))
        {
            yield return sub;
        }
    }

    private static Task WriteUsageErrorAsync(ParseResult result, string message, TextWriter error)
    {
        var path = new List<string>();
        for (SymbolResult? symbol = result.CommandResult; symbol is CommandResult command; symbol = command.Parent)
        {
            path.Insert(0, command.Command is RootCommand root ? root.HelpName ?? root.Name : command.Command.Name);
        }

        string program = path.Count > 0 ? path[0] : "lepton";
        return error.WriteLineAsync($"{program}: {message}\n({string.Join(' ', path)} --help lists the options)");
    }
}
