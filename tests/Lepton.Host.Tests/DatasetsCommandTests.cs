using System.Diagnostics;
using System.IO.Compression;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// <c>lepton datasets upload ... --wait</c> and <c>lepton datasets list</c> as a user runs them, against
/// the Functions app under the host, with Azurite and with a folder store.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class DatasetsCommandTests(HostsFixture fixture)
{
    private static async Task<(int ExitCode, string Output)> LeptonAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lepton.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private string Dataset(string name, int train = 600, int test = 100) =>
        TestDatasets.WriteSlice(Path.Combine(fixture.Work, name), train, test);

    [Fact]
    public async Task Upload_BrokenArchive_IsRefusedHere_AndNothingIsUploaded()
    {
        string folder = Dataset("broken-cli", 100, 20);
        string images = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        byte[] raw = await File.ReadAllBytesAsync(images);
        await File.WriteAllBytesAsync(images, raw[..(raw.Length / 2)]);
        string archive = Path.Combine(fixture.Work, "broken-cli.zip");
        ZipFile.CreateFromDirectory(folder, archive);
        string store = Path.Combine(fixture.Work, "broken-cli-store");

        var (exit, output) = await LeptonAsync("datasets", "upload", "broken", archive, "--store", store);

        Assert.Equal(1, exit);
        Assert.Contains("train-images-idx3-ubyte", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(store, "datasets")), output);
    }

    [FunctionsHostFact]
    public async Task UploadAndWait_OnAzurite_FollowsTheRunToThePublishedVersion()
    {
        var host = await fixture.FunctionsAsync();
        string model = "cli-" + Guid.NewGuid().ToString("N")[..8];
        fixture.UploadedTo(model);
        string settings = Path.Combine(fixture.Work, model + ".json");
        await File.WriteAllTextAsync(settings, """{"architecture":"mlp","epochs":1,"minimumAccuracy":0.1}""");

        var (exit, output) = await LeptonAsync("datasets", "upload", model, Dataset(model), "--settings", settings, "--wait",
            "--api", host.Client.BaseAddress!.ToString(), "--key", host.FunctionKey, "--store", TestStores.AzuriteConnectionString);
        var (listExit, list) = await LeptonAsync("datasets", "list", "--store", TestStores.AzuriteConnectionString);

        Assert.True(exit == 0, output);
        Assert.Contains($"published {model} version 1", output, StringComparison.Ordinal);
        Assert.Equal(0, listExit);
        Assert.Contains($"datasets/{model}/{model}.zip", list, StringComparison.Ordinal);
        Assert.Contains("published as version 1", list.Split('\n').Single(l => l.Contains(model, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [FunctionsHostFact]
    public async Task UploadAndWait_Generator_ExitsZero_NamingItsFrechetDistance()
    {
        var host = await fixture.FunctionsAsync();
        string model = "gan-" + Guid.NewGuid().ToString("N")[..8];
        fixture.UploadedTo(model);
        string settings = Path.Combine(fixture.Work, model + ".json");
        await File.WriteAllTextAsync(settings, """{"architecture":"dcgan","epochs":1,"latentSize":16,"learningRate":0.0002,"testLimit":200}""");

        var (exit, output) = await LeptonAsync("datasets", "upload", model, Dataset(model, 512, 200), "--settings", settings, "--wait",
            "--api", host.Client.BaseAddress!.ToString(), "--key", host.FunctionKey, "--store", TestStores.AzuriteConnectionString);

        Assert.True(exit == 0, output);
        Assert.Contains($"published {model} version 1, Fréchet distance ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("test accuracy", output, StringComparison.Ordinal);
    }

    [FunctionsHostFact]
    public async Task UploadAndWait_OnAFolderStore_FollowsTheRunToThePublishedVersion()
    {
        string store = Path.Combine(fixture.Work, "cli-folder-store");
        var settings = new Dictionary<string, string>(fixture.FunctionsSettings)
        {
            ["LEPTON_STORE"] = store,
            ["TASKHUB_NAME"] = "f" + Guid.NewGuid().ToString("N")[..12],
            ["LEPTON_WORK"] = Path.Combine(fixture.Work, "cli-folder-work"),
        };
        await using var host = await FunctionsHost.StartAsync(settings);
        string model = "folder-cli";
        string uploadSettings = Path.Combine(fixture.Work, "folder-cli.json");
        await File.WriteAllTextAsync(uploadSettings, """{"architecture":"mlp","epochs":1}""");

        var (exit, output) = await LeptonAsync("datasets", "upload", model, Dataset(model), "--settings", uploadSettings, "--wait",
            "--api", host.Client.BaseAddress!.ToString(), "--key", host.FunctionKey, "--store", store);

        Assert.True(exit == 0, output);
        Assert.Contains("published folder-cli version 1", output, StringComparison.Ordinal);
        Assert.Equal([1], await new ModelRegistry(new FolderArtifactStore(store)).ListVersionsAsync(model));
    }
}
