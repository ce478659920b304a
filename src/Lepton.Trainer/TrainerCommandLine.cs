using System.CommandLine;
using Lepton.CommandLine;
using Lepton.Core.Contracts;
using Lepton.Training.Models;

namespace Lepton.Trainer;

/// <summary>
/// <c>lepton-trainer train|bench|archs</c>. <c>train</c> and <c>bench</c> take the training job spec as
/// <see cref="TrainingOptions"/> (the same options, syntax and defaults as <c>lepton pipeline run</c>), or
/// <c>--spec job.json</c> with options over it. Without a command, <c>train</c>.
/// </summary>
public static class TrainerCommandLine
{
    private static readonly string[] Commands = ["train", "bench", "archs"];

    public static RootCommand Create(TextWriter console)
    {
        var root = new RootCommand("lepton-trainer: trains one model on an MNIST-format dataset and exports it to ONNX (docs/job-spec.md)") { HelpName = "lepton-trainer" };
        root.Subcommands.Add(JobCommand("train", "train, export to ONNX and evaluate one model (the default command)", spec =>
        {
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
        }));
        root.Subcommands.Add(JobCommand("bench", "the bare training loop against the trainer's, then a full job", spec => Benchmark.Run(spec, console)));
        var archs = new Command("archs", "list the architectures");
        archs.SetAction(_ =>
        {
            foreach (var architecture in ArchitectureRegistry.All)
            {
                console.WriteLine($"{architecture.Name,-8} {architecture.Description}");
            }

            console.WriteLine($"{GradientBoostedTrees.Name,-8} {GradientBoostedTrees.Description}");

            return 0;
        });
        root.Subcommands.Add(archs);
        return root;
    }

    /// <summary><paramref name="args"/> with <c>train</c> in front when they start with an option (or are empty): <c>train</c> is the default command.</summary>
    public static IReadOnlyList<string> WithDefaultCommand(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Count == 0 || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h" or "-?" or "--version")) ? ["train", .. args] : args;
    }

    /// <summary>The job spec <c>lepton-trainer train</c> makes of these arguments (those after <c>train</c>); a usage mistake throws <see cref="UsageException"/>.</summary>
    public static TrainingJobSpec ParseSpec(IReadOnlyList<string> args)
    {
        var command = new Command("train");
        var options = new JobOptions(command);
        return CommandLineApp.Bind(command, args, options.Spec);
    }

    private static Command JobCommand(string name, string description, Func<TrainingJobSpec, int> run)
    {
        var command = new Command(name, description);
        var options = new JobOptions(command);
        command.SetAction(result =>
        {
            var spec = options.Spec(result);
            ParentWatchdog.Start(result.GetValue(options.ParentPid), Console.Error);
            return run(spec);
        });
        return command;
    }

    /// <summary>A job's options: the spec's, and the process's <c>--parent-pid</c> (not part of the spec).</summary>
    private sealed class JobOptions
    {
        private readonly TrainingOptions _training = new(placement: true);

        public JobOptions(Command command)
        {
            _training.AddTo(command);
            command.Options.Add(ParentPid);
        }

        public Option<int?> ParentPid { get; } = CliOptions.Whole(ParentWatchdog.Option, "stop when the process that started this one (this pid) is gone", "none", 1);

        /// <summary><c>--spec</c> (when given), with the options given over it.</summary>
        public TrainingJobSpec Spec(ParseResult result)
        {
            var spec = new TrainingJobSpec();
            if (result.GetValue(_training.Spec) is { } path)
            {
                spec = File.Exists(path) ? LeptonJson.ReadFile<TrainingJobSpec>(path) : throw new UsageException($"--spec: file not found: {path}");
            }

            return _training.Bind(result, spec);
        }
    }
}
