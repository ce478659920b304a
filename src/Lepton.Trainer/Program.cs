using Lepton.CommandLine;
using Lepton.Core.Data;
using Lepton.Trainer;
using Lepton.Training.Export;

try
{
    return await CommandLineApp.RunAsync(TrainerCommandLine.Create(Console.Out), TrainerCommandLine.WithDefaultCommand(args), Console.Out, Console.Error);
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
