using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using System.Text.RegularExpressions;
using Lepton.Cli;
using Lepton.CommandLine;
using Lepton.Core.Contracts;
using Lepton.Trainer;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// One command-line layer for <c>lepton</c> and <c>lepton-trainer</c>: every training job spec setting has
/// one option, reachable under the same name in <c>lepton-trainer train</c> and <c>lepton pipeline run</c>,
/// and binding to the same spec; <c>--help</c> shows every option with its default; a bad value exits 2
/// with a message that names the option. Nothing here trains (no TorchSharp is loaded).
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    /// <summary>A value for every spec property, and the spec it gives. A new property fails <see cref="Samples_CoverEverySpecProperty"/> until it has one.</summary>
    private static readonly Dictionary<string, (string[] Args, TrainingJobSpec Expected)> Samples = new(StringComparer.Ordinal)
    {
        [nameof(TrainingJobSpec.Architecture)] = (["--arch", "lstm"], new() { Architecture = "lstm" }),
        [nameof(TrainingJobSpec.Data)] = (["--data", "/datasets/d"], new() { Data = "/datasets/d" }),
        [nameof(TrainingJobSpec.Output)] = (["--out", "/runs/o"], new() { Output = "/runs/o" }),
        [nameof(TrainingJobSpec.Epochs)] = (["--epochs", "7"], new() { Epochs = 7 }),
        [nameof(TrainingJobSpec.BatchSize)] = (["--batch-size", "16"], new() { BatchSize = 16 }),
        [nameof(TrainingJobSpec.LearningRate)] = (["--lr", "0.0002"], new() { LearningRate = 0.0002 }),
        [nameof(TrainingJobSpec.Seed)] = (["--seed", "5"], new() { Seed = 5 }),
        [nameof(TrainingJobSpec.TrainLimit)] = (["--train-limit", "600"], new() { TrainLimit = 600 }),
        [nameof(TrainingJobSpec.TestLimit)] = (["--test-limit", "100"], new() { TestLimit = 100 }),
        [nameof(TrainingJobSpec.ValidationFraction)] = (["--validation", "0.2"], new() { ValidationFraction = 0.2 }),
        [nameof(TrainingJobSpec.Patience)] = (["--patience", "2"], new() { Patience = 2 }),
        [nameof(TrainingJobSpec.Threads)] = (["--threads", "1"], new() { Threads = 1 }),
        [nameof(TrainingJobSpec.Augment)] = (["--no-augment"], new() { Augment = false }),
        [nameof(TrainingJobSpec.Augmentations)] = (["--augmentations", "crop, flip"], new() { Augmentations = ["crop", "flip"] }),
        [nameof(TrainingJobSpec.FineTune)] = (["--fine-tune"], new() { FineTune = true }),
        [nameof(TrainingJobSpec.Schedule)] = (["--schedule", "cosine"], new() { Schedule = LearningRateSchedule.Cosine }),
        [nameof(TrainingJobSpec.Labels)] = (["--labels", "a, b,c"], new() { Labels = ["a", "b", "c"] }),
        [nameof(TrainingJobSpec.Device)] = (["--device", "cpu"], new() { Device = "cpu" }),
        [nameof(TrainingJobSpec.HiddenSize)] = (["--hidden-size", "32"], new() { HiddenSize = 32 }),
        [nameof(TrainingJobSpec.LatentSize)] = (["--latent-size", "16"], new() { LatentSize = 16 }),
        [nameof(TrainingJobSpec.Class)] = (["--class", "Trouser"], new() { Class = "Trouser" }),
        [nameof(TrainingJobSpec.ImageSize)] = (["--image-size", "64"], new() { ImageSize = 64 }),
        [nameof(TrainingJobSpec.Channels)] = (["--channels", "3"], new() { Channels = 3 }),
        [nameof(TrainingJobSpec.LabelColumn)] = (["--label-column", "target"], new() { LabelColumn = "target" }),
        [nameof(TrainingJobSpec.Task)] = (["--task", "table"], new() { Task = "table" }),
        [nameof(TrainingJobSpec.VocabularySize)] = (["--vocab-size", "5000"], new() { VocabularySize = 5000 }),
        [nameof(TrainingJobSpec.Resume)] = (["--no-resume"], new() { Resume = false }),
        [nameof(TrainingJobSpec.Sweep)] = (["--sweep", "lr=0.001,0.01", "--sweep", "arch=mlp,cnn-bn", "--trials", "3", "--max-concurrent", "2", "--early-termination"], new()
        {
            Sweep = new SweepSpec
            {
                Parameters = new Dictionary<string, IReadOnlyList<System.Text.Json.JsonElement>>
                {
                    ["learningRate"] = [SweepSpec.ParseValue("0.001"), SweepSpec.ParseValue("0.01")],
                    ["architecture"] = [SweepSpec.ParseValue("mlp"), SweepSpec.ParseValue("cnn-bn")],
                },
                Trials = 3,
                MaxConcurrent = 2,
                EarlyTermination = true,
            },
        }),
    };

    private static readonly string[] PipelineRequired = ["--name", "m", "--data", "/datasets/d"];

    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> SpecProperties() => new(Samples.Keys);

    [Fact]
    public void Samples_CoverEverySpecProperty()
    {
        var properties = typeof(TrainingJobSpec).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order().ToList();

        Assert.Equal(properties, Samples.Keys.Order());
        Assert.Equal(properties.Except(TrainingOptions.PipelineOnly), new TrainingOptions(placement: true).ByProperty.Keys.Order());
        Assert.Equal(properties.Except(TrainingOptions.JobPlacement), new TrainingOptions(placement: false).ByProperty.Keys.Order());
    }

    [Fact]
    public void TrainingOptions_AreOptionsOfBothClis_UnderOneName()
    {
        var train = Options(TrainerCommandLine.Create(TextWriter.Null), "train");
        var pipelineRun = Options(LeptonCommand.Create(), "pipeline", "run");

        foreach (var (property, option) in new TrainingOptions(placement: true).ByProperty)
        {
            Assert.Contains(option.Name, train);
            // The pipeline's compute target places the job; its --data is the dataset to prepare.
            bool placement = TrainingOptions.JobPlacement.Contains(property);
            Assert.True(placement ? !pipelineRun.Contains(option.Name) || option.Name == "--data" : pipelineRun.Contains(option.Name), $"{property}: {option.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(SpecProperties))]
    public void EverySetting_BindsTheSameSpec_InTrainerAndPipeline(string property)
    {
        var (args, expected) = Samples[property];

        if (!TrainingOptions.PipelineOnly.Contains(property))
        {
            var trained = TrainerCommandLine.ParseSpec(args);
            Assert.Equal(LeptonJson.Serialize(expected), LeptonJson.Serialize(trained));
        }

        if (!TrainingOptions.JobPlacement.Contains(property))
        {
            var request = PipelineCommand.ParseRequest([.. PipelineRequired, .. args]);
            Assert.Equal(LeptonJson.Serialize(expected), LeptonJson.Serialize(request.Training));
        }
    }

    [Fact]
    public void EverySetting_AtOnce_BindsTheSameSpec_InTrainerAndPipeline()
    {
        var shared = Samples.Where(s => !TrainingOptions.JobPlacement.Contains(s.Key) && !TrainingOptions.PipelineOnly.Contains(s.Key)).ToList();
        string[] args = [.. shared.SelectMany(s => s.Value.Args)];

        var trained = TrainerCommandLine.ParseSpec(args);
        var request = PipelineCommand.ParseRequest([.. PipelineRequired, .. args]);

        Assert.Equal(LeptonJson.Serialize(trained), LeptonJson.Serialize(request.Training));
        Assert.Equal(7, trained.Epochs);
        Assert.Equal(["a", "b", "c"], trained.Labels);
        Assert.False(trained.Augment);
    }

    [Theory]
    [InlineData(null, new string[0])]
    [InlineData(true, new[] { "--augment" })]
    [InlineData(true, new[] { "--augment", "true" })]
    [InlineData(false, new[] { "--augment", "false" })]
    [InlineData(false, new[] { "--no-augment" })]
    public void Augment_EveryForm_TheSameInBothClis(bool? expected, string[] args)
    {
        Assert.Equal(expected, TrainerCommandLine.ParseSpec([.. args, "--epochs", "2"]).Augment);
        Assert.Equal(expected, PipelineCommand.ParseRequest([.. PipelineRequired, .. args, "--epochs", "2"]).Training.Augment);
    }

    [Fact]
    public void SpecFile_OptionsOverrideItsFields_InBothClis()
    {
        string trainerSpec = Path.Combine(_dir, "job.json");
        File.WriteAllText(trainerSpec, LeptonJson.Serialize(new TrainingJobSpec { Architecture = "mlp", Epochs = 3, Seed = 9, Data = "/d", Output = "/o" }));
        string pipelineSpec = Path.Combine(_dir, "training.json");
        File.WriteAllText(pipelineSpec, """{"architecture":"mlp","epochs":3,"seed":9}""");

        var trained = TrainerCommandLine.ParseSpec(["--epochs", "1", "--spec", trainerSpec]);
        var piped = PipelineCommand.ParseRequest([.. PipelineRequired, "--spec", pipelineSpec, "--epochs", "1"]).Training;

        Assert.Equal(("mlp", 1, 9, "/d"), (trained.Architecture, trained.Epochs, trained.Seed, trained.Data));
        Assert.Equal(("mlp", 1, 9), (piped.Architecture, piped.Epochs, piped.Seed));
    }

    [Fact]
    public void RepeatedOption_LastOneWins_InBothClis()
    {
        // scripts/run.sh passes the user's options after its own: `scripts/run.sh --arch cnn-bn --epochs 30`.
        string[] args = ["--arch", "cnn", "--epochs", "5", "--arch", "cnn-bn", "--epochs", "30"];

        var trained = TrainerCommandLine.ParseSpec(args);
        var request = PipelineCommand.ParseRequest([.. PipelineRequired, "--min-accuracy", "0.85", .. args, "--min-accuracy", "0.9"]);

        Assert.Equal(("cnn-bn", 30), (trained.Architecture, trained.Epochs));
        Assert.Equal(("cnn-bn", 30, 0.9), (request.Training.Architecture, request.Training.Epochs, request.MinimumAccuracy));
    }

    [Fact]
    public void EveryOptionOfEveryCommand_HasADefaultForHelp()
    {
        foreach (var root in new Command[] { LeptonCommand.Create(), TrainerCommandLine.Create(TextWriter.Null) })
        {
            foreach (var command in CommandLineApp.Commands(root))
            {
                foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption)))
                {
                    Assert.True(option.Required || option.HasDefaultValue || option.Description?.Contains("[default: ", StringComparison.Ordinal) == true, $"{command.Name} {option.Name}");
                }
            }
        }
    }

    [Theory]
    [InlineData("lepton.dll", new string[0])]
    [InlineData("lepton.dll", new[] { "pipeline", "run" })]
    [InlineData("lepton.dll", new[] { "datasets", "upload" })]
    [InlineData("lepton.dll", new[] { "models", "promote" })]
    [InlineData("lepton.dll", new[] { "models", "publish" })]
    [InlineData("lepton.dll", new[] { "serve" })]
    [InlineData("lepton.dll", new[] { "predict" })]
    [InlineData("lepton-trainer.dll", new[] { "train" })]
    [InlineData("lepton-trainer.dll", new[] { "bench" })]
    public void Help_ListsEveryOptionWithItsDefault(string dll, string[] path)
    {
        var (code, output, error) = LeptonCli.Start(dll, [.. path, "--help"]);

        Assert.True(code == 0, error);
        Command root = dll == "lepton.dll" ? LeptonCommand.Create() : TrainerCommandLine.Create(TextWriter.Null);
        var command = path.Aggregate(root, (c, name) => c.Subcommands.Single(s => s.Name == name));
        foreach (var option in command.Options.Concat(root.Options.Where(o => o.Recursive)).Where(o => o is not (HelpOption or VersionOption)))
        {
            string row = HelpRow(output, option.Name);
            Assert.True(row.Contains("[default: ", StringComparison.Ordinal) || row.Contains("(REQUIRED)", StringComparison.Ordinal), $"{option.Name}: {row}");
        }
    }

    [Fact]
    public void Help_TrainingOptions_ReadTheSameInTrainerAndPipeline()
    {
        var (_, trainer, _) = LeptonCli.Start("lepton-trainer.dll", "train", "--help");
        var (_, pipeline, _) = LeptonCli.Start("lepton.dll", "pipeline", "run", "--help");

        foreach (var (property, option) in new TrainingOptions(placement: false).ByProperty.Where(p => !TrainingOptions.PipelineOnly.Contains(p.Key)))
        {
            Assert.Equal(HelpRow(trainer, option.Name), HelpRow(pipeline, option.Name));
        }

        Assert.Contains("--sweep <setting=v1,v2,...>", HelpRow(pipeline, "--sweep"), StringComparison.Ordinal);
        Assert.Contains("[default: every combination (grid)]", HelpRow(pipeline, "--trials"), StringComparison.Ordinal);

        Assert.Contains("[default: 5]", HelpRow(pipeline, "--epochs"), StringComparison.Ordinal);
        Assert.Contains("[default: 64]", HelpRow(pipeline, "--batch-size"), StringComparison.Ordinal);
        Assert.Contains("[default: 0.001]", HelpRow(pipeline, "--lr"), StringComparison.Ordinal);
        Assert.Contains("[default: auto]", HelpRow(pipeline, "--arch"), StringComparison.Ordinal);
        Assert.Contains("--augment, --no-augment <true|false>", HelpRow(pipeline, "--augment"), StringComparison.Ordinal);
        Assert.Contains("[default: 3]", HelpRow(pipeline, "--attempts"), StringComparison.Ordinal);
        Assert.Contains("[default: LEPTON_STORE, else ./.lepton]", HelpRow(pipeline, "--store"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lepton.dll", "--epochs takes a whole number, not 'five'", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--epochs", "five" })]
    [InlineData("lepton.dll", "--lr takes a number, not 'fast'", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--lr", "fast" })]
    [InlineData("lepton.dll", "--schedule takes constant or cosine, not 'linear'", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--schedule", "linear" })]
    [InlineData("lepton.dll", "give one of --augment and --no-augment, once", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--augment", "--no-augment" })]
    [InlineData("lepton.dll", "unknown option '--epocs'", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--epocs", "3" })]
    [InlineData("lepton.dll", "Option '--name' is required", new[] { "pipeline", "run", "--data", "d" })]
    [InlineData("lepton.dll", "--sweep: 'foo' is not a training setting that can be swept", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--sweep", "foo=1,2" })]
    [InlineData("lepton.dll", "--sweep takes setting=value1,value2,..., not 'lr'", new[] { "pipeline", "run", "--name", "m", "--data", "d", "--sweep", "lr" })]
    [InlineData("lepton-trainer.dll", "unknown option '--sweep'", new[] { "train", "--sweep", "lr=0.1,0.2" })]
    [InlineData("lepton.dll", "--port takes a whole number between 0 and 65535, not '99999'", new[] { "serve", "--port", "99999" })]
    [InlineData("lepton.dll", "version must be a positive whole number, not 'two'", new[] { "models", "promote", "m", "two" })]
    [InlineData("lepton.dll", "--timeout takes a whole number between 1 and 1440, not '0'", new[] { "datasets", "upload", "m", "d.zip", "--timeout", "0" })]
    [InlineData("lepton.dll", "unknown command 'frob'", new[] { "frob" })]
    [InlineData("lepton-trainer.dll", "--epochs takes a whole number, not 'five'", new[] { "--epochs", "five" })]
    [InlineData("lepton-trainer.dll", "--batch-size takes a whole number, not '1e3'", new[] { "train", "--batch-size", "1e3" })]
    [InlineData("lepton-trainer.dll", "--no-augment takes no value", new[] { "train", "--no-augment", "true" })]
    [InlineData("lepton-trainer.dll", "--schedule takes constant or cosine, not 'linear'", new[] { "bench", "--schedule", "linear" })]
    [InlineData("lepton-trainer.dll", "unknown command 'frob'", new[] { "frob" })]
    public void BadValue_ExitsTwo_WithTheMessage(string dll, string message, string[] args)
    {
        var (code, output, error) = LeptonCli.Start(dll, args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("--help lists the options", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public void PipelineRun_SpecOutOfRange_ExitsTwo_WithEveryProblem()
    {
        var (code, _, error) = LeptonCli.Start("lepton.dll", "pipeline", "run", "--name", "m", "--data", _dir, "--epochs", "0", "--arch", "transformer", "--store", Path.Combine(_dir, "store"));

        Assert.Equal(2, code);
        Assert.Contains("epochs must be between 1 and 10000, not 0", error, StringComparison.Ordinal);
        Assert.Contains("unknown architecture 'transformer'", error, StringComparison.Ordinal);
    }

    private static HashSet<string> Options(Command root, params string[] path) =>
        path.Aggregate(root, (c, name) => c.Subcommands.Single(s => s.Name == name)).Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The help row of an option: the line whose first column names it (alone or with its other names).</summary>
    private static string HelpRow(string help, string option) =>
        help.Split('\n').SingleOrDefault(l => Regex.IsMatch(l, $@"^\s+(-\S+, )*{Regex.Escape(option)}(,|\s|$)")) ?? throw new Xunit.Sdk.XunitException($"no help row for {option} in:\n{help}");
}
