using Lepton.Cli;
using Lepton.CommandLine;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

try
{
    return await CommandLineApp.RunAsync(LeptonCommand.Create(), args, Console.Out, Console.Error);
}
catch (Exception ex) when (ex is InvalidNameException or ModelNotFoundException or RegistryDataException or InputException or InvalidDataException or ModelIntegrityException or ArtifactNotFoundException or ArtifactConflictException or Lepton.Core.Data.DatasetFormatException or FileNotFoundException or Lepton.Pipeline.Compute.TrainerNotFoundException)
{
    Console.Error.WriteLine($"lepton: {ex.Message}");
    return 1;
}
catch (Exception ex) when (ex is Azure.RequestFailedException or AggregateException or HttpRequestException or IOException or UnauthorizedAccessException or Azure.Identity.AuthenticationFailedException)
{
    Console.Error.WriteLine($"lepton: {ex.Message}");
    return 1;
}
