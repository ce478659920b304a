using System.Diagnostics;

namespace Lepton.Training.Tests.Trainer;

/// <summary>Runs the `lepton` CLI (or `lepton-trainer`) built beside these tests, as a user would, and returns its exit code and output.</summary>
internal static class LeptonCli
{
    public static (int Code, string Output) Run(params string[] args)
    {
        var (code, stdout, stderr) = Start("lepton.dll", args);
        return (code, stdout + stderr);
    }

    /// <summary>The executable <paramref name="dll"/> (lepton.dll or lepton-trainer.dll) with stdout and stderr apart.</summary>
    public static (int Code, string Output, string Error) Start(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
