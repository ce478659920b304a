using System.Globalization;
using Lepton.Core.Contracts;

namespace Lepton.Trainer;

/// <summary>A command-line mistake; the message says what to fix.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Parses <c>--name value</c> options into a <see cref="TrainingJobSpec"/>; later options win over <c>--spec</c>.</summary>
public static class CommandLine
{
    public const string Usage = """
        lepton-trainer: trains one model on an MNIST-format dataset and exports it to ONNX.

        usage:
          lepton-trainer [train] --data <folder> --out <folder> [options]
          lepton-trainer train --spec job.json [options that override it]
          lepton-trainer bench --data <folder> --out <folder> [options]   (bare loop vs trainer, then a full job)
          lepton-trainer archs                                             (list the architectures)

        options:
          --arch <name>            architecture (default cnn; see 'archs')
          --data <folder>          the four IDX files under their standard names (.gz or raw)
          --out <folder>           output: model.onnx, metrics.json, history.json, status.json, checkpoints/
          --epochs <n>             default 5
          --batch-size <n>         default 64
          --lr <x>                 Adam learning rate, default 0.001
          --seed <n>               default 42
          --train-limit <n>        use only the first n training images
          --test-limit <n>         evaluate on only the first n test images
          --validation <f>         fraction held out for validation, default 0.1
          --patience <n>           early stopping after n epochs without a better validation loss
          --threads <n>            TorchSharp and ONNX Runtime threads (default: all cores)
          --augment | --no-augment random flips and shifts (default: as the architecture prefers)
          --labels <a,b,...>       class names in label order (default: the dataset's labels.txt, or its defaults)
          --device <d>             auto (CUDA when available), cpu or cuda
          --schedule <s>           learning rate over epochs: constant or cosine (default: as the architecture prefers)
          --hidden-size <n>        recurrent state size (gru, lstm; default 128)
          --latent-size <n>        generator latent size (dcgan; default 64)
          --class <label|index>    train a generator on one class only (dcgan)
          --no-resume              start over even when the output folder has a checkpoint
          --spec <job.json>        read all of the above from a JSON job spec (docs/job-spec.md)
        """;

    public static TrainingJobSpec Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var spec = new TrainingJobSpec();
        int specIndex = IndexOf(args, "--spec");
        if (specIndex >= 0)
        {
            string path = Value(args, specIndex);
            if (!File.Exists(path))
            {
                throw new UsageException($"--spec: file not found: {path}");
            }

            spec = LeptonJson.ReadFile<TrainingJobSpec>(path);
        }

        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            spec = name switch
            {
                "--spec" => spec,
                "--arch" => spec with { Architecture = Value(args, i) },
                "--data" => spec with { Data = Value(args, i) },
                "--out" => spec with { Output = Value(args, i) },
                "--epochs" => spec with { Epochs = Int(args, i) },
                "--batch-size" => spec with { BatchSize = Int(args, i) },
                "--lr" => spec with { LearningRate = Double(args, i) },
                "--seed" => spec with { Seed = Int(args, i) },
                "--train-limit" => spec with { TrainLimit = Int(args, i) },
                "--test-limit" => spec with { TestLimit = Int(args, i) },
                "--validation" => spec with { ValidationFraction = Double(args, i) },
                "--patience" => spec with { Patience = Int(args, i) },
                "--threads" => spec with { Threads = Int(args, i) },
                "--labels" => spec with { Labels = Value(args, i).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) },
                "--augment" => spec with { Augment = true },
                "--no-augment" => spec with { Augment = false },
                "--no-resume" => spec with { Resume = false },
                "--device" => spec with { Device = Value(args, i) },
                "--hidden-size" => spec with { HiddenSize = Int(args, i) },
                "--latent-size" => spec with { LatentSize = Int(args, i) },
                "--class" => spec with { Class = Value(args, i) },
                "--schedule" => spec with { Schedule = Value(args, i) switch
                {
                    "constant" => LearningRateSchedule.Constant,
                    "cosine" => LearningRateSchedule.Cosine,
                    var other => throw new UsageException($"--schedule takes constant or cosine, not '{other}'"),
                } },
                _ => throw new UsageException($"unknown option '{name}' (see --help)"),
            };
            if (name is not ("--augment" or "--no-augment" or "--no-resume"))
            {
                i++;
            }
        }

        return spec;
    }

    private static int IndexOf(IReadOnlyList<string> args, string name)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Value(IReadOnlyList<string> args, int i) =>
        i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
            ? args[i + 1]
            : throw new UsageException($"{args[i]} needs a value");

    private static int Int(IReadOnlyList<string> args, int i) =>
        int.TryParse(Value(args, i), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new UsageException($"{args[i]} takes a whole number, not '{args[i + 1]}'");

    private static double Double(IReadOnlyList<string> args, int i) =>
        double.TryParse(Value(args, i), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new UsageException($"{args[i]} takes a number, not '{args[i + 1]}'");
}
