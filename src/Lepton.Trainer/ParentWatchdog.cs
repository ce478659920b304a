using System.Diagnostics;
using System.Globalization;

namespace Lepton.Trainer;

/// <summary>
/// <c>--parent-pid N</c>: the trainer dies with the process that started it. Twice a second it checks
/// that its parent is still N (on Linux the parent of an orphan becomes another process, so a reused
/// pid cannot fool it); when not, it kills itself, so a CLI killed with SIGKILL leaves no trainer behind.
/// </summary>
public static class ParentWatchdog
{
    public const string Option = "--parent-pid";

    /// <summary>Removes <c>--parent-pid N</c> from <paramref name="args"/> and starts watching N; returns the rest.</summary>
    public static string[] Start(string[] args, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(args);
        int index = Array.IndexOf(args, Option);
        if (index < 0)
        {
            return args;
        }

        if (index + 1 >= args.Length || !int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int parent) || parent <= 0)
        {
            throw new UsageException($"{Option} takes a process id");
        }

        if (!IsAlive(parent))
        {
            throw new UsageException($"{Option} {parent}: no such process");
        }

        var thread = new Thread(() =>
        {
            while (IsAlive(parent))
            {
                Thread.Sleep(500);
            }

            log.WriteLine($"lepton-trainer: the parent process {parent} is gone; stopping");
            log.Flush();
            Process.GetCurrentProcess().Kill(); // not Environment.Exit: a native training step must not delay it
        })
        { IsBackground = true, Name = "parent watchdog" };
        thread.Start();
        return [.. args[..index], .. args[(index + 2)..]];
    }

    private static bool IsAlive(int parent)
    {
        if (ParentFromProc() is int current)
        {
            return current == parent;
        }

        try
        {
            using var process = Process.GetProcessById(parent);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The parent pid from /proc/self/stat (field 4, after the parenthesized command name); null off Linux.</summary>
    private static int? ParentFromProc()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
