using Lepton.Tests;
using System.Diagnostics;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Trainer;

namespace Lepton.Training.Tests.Trainer;

/// <summary>The trainer executable as compute targets run it: a child process, files in, files out, an exit code.</summary>
public sealed class TrainerProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-job-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int ExitCode, string Output, string Error) RunTrainer(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "lepton-trainer.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the trainer did not finish in 5 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Train_SmallSlice_WritesModelMetricsHistoryStatusAndCheckpoint()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 1500, test: 300);
        string output = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = RunTrainer("--arch", "cnn", "--data", data, "--out", output, "--epochs", "2", "--batch-size", "32", "--seed", "5");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        foreach (string file in new[] { RunFolder.Model, RunFolder.Metrics, RunFolder.History, RunFolder.Status, RunFolder.Spec })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing");
        }

        var metrics = LeptonJson.ReadFile<TrainingMetrics>(Path.Combine(output, RunFolder.Metrics));
        Assert.Equal(300, metrics.Test.Examples);
        Assert.Equal(1350, metrics.TrainExamples);
        Assert.Equal(150, metrics.ValidationExamples);
        Assert.True(metrics.Test.Accuracy > 0.6, $"accuracy {metrics.Test.Accuracy}");
        Assert.Equal(metrics.TorchTestAccuracy, metrics.Test.Accuracy, 2);
        Assert.True(metrics.Parity.MaxAbsDifference <= 1e-4);
        Assert.Equal(MnistDataset.FashionMnistLabels, metrics.Labels);
        Assert.Equal(10, metrics.Test.ConfusionMatrix.Length);
        Assert.Equal(300, metrics.Test.ConfusionMatrix.Sum(row => row.Sum()));

        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(output, RunFolder.History));
        Assert.Equal(2, history.Epochs.Count);
        var status = LeptonJson.ReadFile<TrainingStatus>(Path.Combine(output, RunFolder.Status));
        Assert.Equal(JobState.Succeeded, status.State);
        Assert.True(File.Exists(Path.Combine(output, "checkpoints", "epoch-0002", "model.pt")));
    }

    [Fact]
    public void Train_Dcgan_SmallSlice_WritesGeneratorSamplesAndQuality()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 600, test: 400);
        string output = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = RunTrainer("--arch", "dcgan", "--data", data, "--out", output, "--epochs", "2", "--lr", "0.0002", "--latent-size", "16", "--seed", "5");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var metrics = LeptonJson.ReadFile<GeneratorMetrics>(Path.Combine(output, RunFolder.Metrics));
        Assert.Equal(ModelKind.Generator, metrics.Kind);
        Assert.Equal(16, metrics.LatentSize);
        Assert.Equal([1, 28, 28], metrics.ImageShape);
        Assert.True(metrics.Parity.MaxAbsDifference <= 1e-4, $"parity {metrics.Parity.MaxAbsDifference}");
        var q = metrics.Quality;
        Assert.Equal(400, q.GeneratedImages);
        Assert.True(q.FrechetFloor < q.FrechetCeiling, $"floor {q.FrechetFloor}, ceiling {q.FrechetCeiling}");
        Assert.Equal(1.0, q.ClassShares.Values.Sum(), 6);
        Assert.InRange(q.MeanConfidence, 0.1, 1.0);
        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(output, RunFolder.History));
        Assert.All(history.Epochs, e => Assert.NotNull(e.DiscriminatorLoss));
        foreach (string png in new[] { "samples/epoch-0001.png", "samples/epoch-0002.png", "samples.png" })
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(output, png))[..4]);
        }
    }

    [Fact]
    public void Train_Dcgan_OneClass_KeepsOnlyThatClass()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 600, test: 200);
        string output = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = RunTrainer("--arch", "dcgan", "--data", data, "--out", output, "--epochs", "1", "--latent-size", "8", "--class", "Trouser");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var metrics = LeptonJson.ReadFile<GeneratorMetrics>(Path.Combine(output, RunFolder.Metrics));
        Assert.Equal("Trouser", metrics.Class);
        Assert.Equal(["Trouser"], metrics.Labels);
        Assert.Equal(TestDatasets.FashionMnist.Train.Take(600).Labels.Count(l => l == 1), metrics.TrainExamples);
    }

    [Fact]
    public void Train_JobSpecFile_IsHonoured_AndFlagsOverrideIt()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 600, test: 100);
        string output = Path.Combine(_dir, "out");
        string specPath = Path.Combine(_dir, "job.json");
        File.WriteAllText(specPath, LeptonJson.Serialize(new TrainingJobSpec { Architecture = "mlp", Data = data, Output = output, Epochs = 3 }));

        var (code, stdout, stderr) = RunTrainer("--spec", specPath, "--epochs", "1");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(output, RunFolder.History));
        Assert.Equal("mlp", history.Architecture);
        Assert.Single(history.Epochs);
    }

    [Fact]
    public void Train_BadSpec_ExitsTwoWithEveryProblem()
    {
        var (code, _, stderr) = RunTrainer("--arch", "transformer", "--epochs", "0", "--data", _dir, "--out", Path.Combine(_dir, "o"));

        Assert.Equal(2, code);
        Assert.Contains("unknown architecture 'transformer'", stderr, StringComparison.Ordinal);
        Assert.Contains("epochs must be", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnknownOption_ExitsTwo()
    {
        var (code, _, stderr) = RunTrainer("--epocs", "3");

        Assert.Equal(2, code);
        Assert.Contains("unknown option '--epocs'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_CorruptDataset_ExitsThreeNamingTheFile_AndStatusSaysFailed()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 200, test: 50);
        string labels = Path.Combine(data, MnistDataset.TrainLabels + ".gz");
        IdxFile.Write(labels, [199], new byte[199]);
        string output = Path.Combine(_dir, "out");

        var (code, _, stderr) = RunTrainer("--data", data, "--out", output, "--epochs", "1");

        Assert.Equal(3, code);
        Assert.Contains(labels, stderr, StringComparison.Ordinal);
        Assert.Contains("label/image count mismatch", stderr, StringComparison.Ordinal);
        var status = LeptonJson.ReadFile<TrainingStatus>(Path.Combine(output, RunFolder.Status));
        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("count mismatch", status.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, RunFolder.Model)));
    }

    [Fact]
    public void Archs_ListsTheRegistry()
    {
        var (code, stdout, _) = RunTrainer("archs");

        Assert.Equal(0, code);
        Assert.Contains("cnn-bn", stdout, StringComparison.Ordinal);
        Assert.Contains("conv 32@5x5", stdout, StringComparison.Ordinal);
        Assert.Contains("tabular-gbdt table: gradient-boosted trees", stdout, StringComparison.Ordinal); // ML.NET's family, beside the registry's
    }

    [Fact]
    public void Metrics_Json_IsReadableByOtherTools()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 300, test: 60);
        string output = Path.Combine(_dir, "out");
        var (code, _, stderr) = RunTrainer("--arch", "mlp", "--data", data, "--out", output, "--epochs", "1");
        Assert.True(code == 0, stderr);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, RunFolder.Metrics)));

        Assert.Equal(60, doc.RootElement.GetProperty("test").GetProperty("examples").GetInt32());
        Assert.Equal(10, doc.RootElement.GetProperty("test").GetProperty("classes").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("parity").GetProperty("maxAbsDifference").GetDouble() <= 1e-4);
    }
}
