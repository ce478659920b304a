using Lepton.Core.Data;
using Lepton.Trainer;
using Lepton.Training.Export;
using Lepton.Training.Models;

var console = Console.Out;
try
{
    string command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "train";
    var rest = ParentWatchdog.Start(args.Length > 0 && args[0] == command ? args[1..] : args, Console.Error);
    if (args.Contains("--help") || args.Contains("-h"))
    {
        console.WriteLine(CommandLine.Usage);
        return 0;
    }

    switch (command)
    {
        case "train":
        {
            var spec = CommandLine.Parse(rest);
            using var folderLock = string.IsNullOrEmpty(spec.Output) ? null : RunFolderLock.Acquire(spec.Output);
            if (ArchitectureRegistry.Names.Contains(spec.Architecture) && ArchitectureRegistry.Get(spec.Architecture).IsGenerator)
            {
                new GeneratorJob(spec, console).Run();
            }
            else
            {
                new TrainingJob(spec, console).Run();
            }

            return 0;
        }

        case "bench":
            return Benchmark.Run(CommandLine.Parse(rest), console);
        case "archs":
            foreach (var architecture in ArchitectureRegistry.All)
            {
                console.WriteLine($"{architecture.Name,-8} {architecture.Description}");
            }

            return 0;
        default:
            throw new UsageException($"unknown command '{command}' (train, bench, archs; see --help)");
    }
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"lepton-trainer: {ex.Message}");
    return 2;
}
catch (JobSpecException ex)
{
    Console.Error.WriteLine($"lepton-trainer: {ex.Message}");
    return 2;
}
catch (InvalidDataException ex)
{
    Console.Error.WriteLine($"lepton-trainer: {ex.Message}");
    return 2;
}
catch (RunFolderLockedException ex)
{
    Console.Error.WriteLine($"lepton-trainer: {ex.Message}");
    return 5;
}
catch (DatasetFormatException ex)
{
    Console.Error.WriteLine($"lepton-trainer: bad dataset: {ex.Message}");
    return 3;
}
catch (OnnxExportException ex)
{
    Console.Error.WriteLine($"lepton-trainer: export failed: {ex.Message}");
    return 4;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InjectedCrashException)
{
    Console.Error.WriteLine($"lepton-trainer: {ex.Message}");
    return 1;
}
