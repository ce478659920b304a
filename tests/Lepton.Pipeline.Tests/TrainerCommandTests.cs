using Lepton.Core.Contracts;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Tests;

public sealed class TrainerCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-trainer-locate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Locate_ConfiguredPathThatDoesNotExist_NamesTheSetting()
    {
        var missing = Assert.Throws<TrainerNotFoundException>(() => TrainerCommand.Locate(Path.Combine(_dir, "nowhere.dll"), _dir));

        Assert.Contains(LeptonSettings.TrainerPath, missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_TrainerBesideTheProgram_IsTaken()
    {
        string own = Path.Combine(_dir, "app");
        Directory.CreateDirectory(own);
        File.WriteAllText(Path.Combine(own, TrainerCommand.TrainerFile), "not run here");

        var command = TrainerCommand.Locate(configured: string.Empty, ownFolder: own);

        Assert.Equal(Path.Combine(own, TrainerCommand.TrainerFile), command.TrainerDll);
    }

    [Fact]
    public void Locate_RepositoryWithoutABuild_SaysHowToBuildIt_AndBuildsNothing()
    {
        File.WriteAllText(Path.Combine(_dir, "Lepton.Functions.sln"), string.Empty);
        string own = Path.Combine(_dir, "src", "Lepton.Cli", "bin", "Release", "net10.0");
        Directory.CreateDirectory(own);

        var missing = Assert.Throws<TrainerNotFoundException>(() => TrainerCommand.Locate(configured: string.Empty, ownFolder: own));

        Assert.Contains($"dotnet build {Path.Combine(_dir, "src", "Lepton.Trainer")} -c Release", missing.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "src", "Lepton.Trainer")));
    }

    [Fact]
    public void Locate_RepositoryBuild_TakesTheNewestConfiguration()
    {
        File.WriteAllText(Path.Combine(_dir, "Lepton.Functions.sln"), string.Empty);
        string own = Path.Combine(_dir, "src", "Lepton.Cli", "bin", "Debug", "net10.0");
        Directory.CreateDirectory(own);
        string release = Path.Combine(_dir, "src", "Lepton.Trainer", "bin", "Release", "net10.0", TrainerCommand.TrainerFile);
        string debug = Path.Combine(_dir, "src", "Lepton.Trainer", "bin", "Debug", "net10.0", TrainerCommand.TrainerFile);
        foreach (string file in new[] { release, debug })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, string.Empty);
        }

        File.SetLastWriteTimeUtc(release, DateTime.UtcNow.AddHours(-1));

        Assert.Equal(debug, TrainerCommand.Locate(configured: string.Empty, ownFolder: own).TrainerDll);
    }
}
