using System.Diagnostics;
using System.Globalization;
using Lepton.CommandLine;

namespace Lepton.Trainer;

/// <summary>
/// <c>--parent-pid N</c>: the trainer dies with the process that started it. Twice a second it checks
/// that its parent is still N (on Linux the parent of an orphan becomes another process, so a reused
/// pid cannot fool it); when not, it kills itself, so a CLI killed with SIGKILL leaves no trainer behind.
/// </summary>
public static class ParentWatchdog
{
    public const string Option = "--parent-pid";

    /// <summary>Starts watching <paramref name="parent"/> (null: nothing to watch).</summary>
    public static void Start(int? parent, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (parent is not int pid)
        {
            return;
        }

        if (!IsAlive(pid))
        {
            throw new UsageException($"{Option} {pid}: no such process");
        }

        var thread = new Thread(() =>
        {
            while (IsAlive(pid))
            {
                Thread.Sleep(500);
            }

            log.WriteLine($"lepton-trainer: the parent process {pid} is gone; stopping");
            log.Flush();
            Process.GetCurrentProcess().Kill(); // not Environment.Exit: a native training step must not delay it
        })
        { IsBackground = true, Name = "parent watchdog" };
        thread.Start();
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
