using System.CommandLine;
using Lepton.Core.Contracts;

namespace Lepton.CommandLine;

/// <summary>
/// The training job spec (docs/job-spec.md) as command-line options, one per <see cref="TrainingJobSpec"/>
/// property, and the one binder from them to a spec. <c>lepton-trainer train</c> and
/// <c>lepton pipeline run</c> both add these, so an option has one name, one syntax and one default in both.
/// Create one instance per command.
/// </summary>
public sealed class TrainingOptions
{
    /// <summary>
    /// The spec's properties that say where the trainer reads and writes (and whether it continues that
    /// output folder): the trainer's own options; in the pipeline the compute target decides them.
    /// </summary>
    public static readonly IReadOnlySet<string> JobPlacement = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(TrainingJobSpec.Data), nameof(TrainingJobSpec.Output), nameof(TrainingJobSpec.Resume),
    };

    /// <summary>The spec's properties only the pipeline runs (a sweep): options of <c>lepton pipeline run</c>, not of the trainer.</summary>
    public static readonly IReadOnlySet<string> PipelineOnly = new HashSet<string>(StringComparer.Ordinal) { nameof(TrainingJobSpec.Sweep) };

    private static readonly TrainingJobSpec Defaults = new();

    private readonly SweepOptions? _sweep;

    private readonly List<Binding> _bindings = [];

    /// <param name="placement">Whether to include the <see cref="JobPlacement"/> options (<c>--data</c>, <c>--out</c>, <c>--resume</c>).</param>
    public TrainingOptions(bool placement)
    {
        Add(nameof(TrainingJobSpec.Architecture), CliOptions.Text("--arch", "name", "architecture: cnn, cnn-bn, mlp, resnet, transfer, gru, lstm, dcgan for images; text-bow, text-gru, text-lstm for text; tabular-mlp, tabular-gbdt for tables (lepton-trainer archs lists them); auto: cnn, text-bow or tabular-mlp as the data is", Defaults.Architecture), (s, v) => s with { Architecture = v });
        if (placement)
        {
            Add(nameof(TrainingJobSpec.Data), CliOptions.Optional("--data", "folder", "the four IDX files under their standard names (.gz or raw), optional labels.txt", "from --spec; required"), (s, v) => s with { Data = v! });
            Add(nameof(TrainingJobSpec.Output), CliOptions.Optional("--out", "folder", "output: model.onnx, metrics.json, history.json, status.json, checkpoints/", "from --spec; required"), (s, v) => s with { Output = v! });
        }

        Add(nameof(TrainingJobSpec.Epochs), CliOptions.Whole("--epochs", "epochs, 1 to 10000", Defaults.Epochs), (s, v) => s with { Epochs = v });
        Add(nameof(TrainingJobSpec.BatchSize), CliOptions.Whole("--batch-size", "images per batch, 1 to 65536", Defaults.BatchSize), (s, v) => s with { BatchSize = v });
        Add(nameof(TrainingJobSpec.LearningRate), CliOptions.Number("--lr", "Adam's learning rate, in (0, 10)", Defaults.LearningRate), (s, v) => s with { LearningRate = v });
        Add(nameof(TrainingJobSpec.Seed), CliOptions.Whole("--seed", "seeds the weights, the validation split and the shuffles", Defaults.Seed), (s, v) => s with { Seed = v });
        Add(nameof(TrainingJobSpec.TrainLimit), CliOptions.Whole("--train-limit", "use only the first n training images", "all"), (s, v) => s with { TrainLimit = v });
        Add(nameof(TrainingJobSpec.TestLimit), CliOptions.Whole("--test-limit", "evaluate on only the first n test images", "all"), (s, v) => s with { TestLimit = v });
        Add(nameof(TrainingJobSpec.ValidationFraction), CliOptions.Number("--validation", "stratified share of the training images held out for validation, in [0, 0.9)", Defaults.ValidationFraction), (s, v) => s with { ValidationFraction = v });
        Add(nameof(TrainingJobSpec.Patience), CliOptions.Whole("--patience", "stop after n epochs without a better validation loss", "none"), (s, v) => s with { Patience = v });
        Add(nameof(TrainingJobSpec.Threads), CliOptions.Whole("--threads", "TorchSharp and ONNX Runtime threads", "all cores"), (s, v) => s with { Threads = v });
        Add(nameof(TrainingJobSpec.Augment), CliOptions.Switch("--augment", "augment the training images (--augment, --no-augment, --augment true|false; which: --augmentations)", "per architecture; cnn-bn, resnet: on; transfer: off (on: its training images mirrored too, featurized once)"), (s, v) => s with { Augment = v });
        Add(nameof(TrainingJobSpec.Augmentations), CliOptions.Optional("--augmentations", "a,b,...", $"which augmentations when augmenting: {string.Join(", ", TrainingJobSpec.AugmentationNames)}", "gray: flip,shift; color: crop,flip,jitter"),
            (s, v) => s with { Augmentations = v!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) });
        Add(nameof(TrainingJobSpec.FineTune), CliOptions.Switch("--fine-tune", "transfer: also train the backbone's last residual stage (layer4), from its pretrained weights, on activations cached per dataset", "off: a frozen backbone"), (s, v) => s with { FineTune = v });
        Add(nameof(TrainingJobSpec.Schedule), CliOptions.Choice("--schedule", "learning rate over the epochs", "per architecture; cnn-bn, resnet, transfer, gru, lstm: cosine; others: constant",
            new Dictionary<string, LearningRateSchedule>(StringComparer.Ordinal) { ["constant"] = LearningRateSchedule.Constant, ["cosine"] = LearningRateSchedule.Cosine }), (s, v) => s with { Schedule = v });
        Add(nameof(TrainingJobSpec.Labels), CliOptions.Optional("--labels", "a,b,...", "class names in label order", "the dataset's labels.txt, else its defaults"),
            (s, v) => s with { Labels = v!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) });
        Add(nameof(TrainingJobSpec.Device), CliOptions.Text("--device", "auto|cpu|cuda", "where to train: auto picks CUDA when the build and the machine have it", Defaults.Device), (s, v) => s with { Device = v });
        Add(nameof(TrainingJobSpec.HiddenSize), CliOptions.Whole("--hidden-size", "state size of the recurrent layers (gru, lstm), 1 to 4096", "128"), (s, v) => s with { HiddenSize = v });
        Add(nameof(TrainingJobSpec.LatentSize), CliOptions.Whole("--latent-size", "the generator's latent vector length (dcgan), 1 to 4096", "64"), (s, v) => s with { LatentSize = v });
        Add(nameof(TrainingJobSpec.Class), CliOptions.Optional("--class", "label|index", "dcgan only: train on one class", "every class"), (s, v) => s with { Class = v });
        Add(nameof(TrainingJobSpec.ImageSize), CliOptions.Whole("--image-size", "image folders: prepare pictures at n x n, 16 to 224 (shorter side scaled, centre cropped)", "the images' median shorter side, 16..224"), (s, v) => s with { ImageSize = v });
        Add(nameof(TrainingJobSpec.Channels), CliOptions.Whole("--channels", "image folders: 1 (gray) or 3 (RGB)", "1 when every image is gray, else 3"), (s, v) => s with { Channels = v });
        Add(nameof(TrainingJobSpec.LabelColumn), CliOptions.Optional("--label-column", "name", "CSV/TSV/JSON-lines data: the column holding the class", "label"), (s, v) => s with { LabelColumn = v });
        Add(nameof(TrainingJobSpec.Task), CliOptions.Optional("--task", "text|table", "CSV/TSV/JSON-lines data: classify its one free-text column (text) or its numbers and categories (table)", "from the data: text when one column holds free text"), (s, v) => s with { Task = v });
        Add(nameof(TrainingJobSpec.VocabularySize), CliOptions.Whole("--vocab-size", "text models: the most words (and word pairs) the tokenizer learns, 10 to 1000000", "20000"), (s, v) => s with { VocabularySize = v });
        if (!placement)
        {
            _sweep = new SweepOptions(this);
        }

        if (placement)
        {
            Add(nameof(TrainingJobSpec.Resume), CliOptions.Switch("--resume", "continue from the last checkpoint in the output folder (--resume, --no-resume, --resume true|false)", "on"), (s, v) => s with { Resume = v!.Value });
        }
    }

    /// <summary><c>--spec job.json</c>: a job spec file under the options (they override its fields).</summary>
    public Option<string?> Spec { get; } = CliOptions.Optional("--spec", "job.json", "a training job spec (docs/job-spec.md); the options given override its fields", "none");

    /// <summary>Every option, in help order, <see cref="Spec"/> first.</summary>
    public IEnumerable<Option> Options => _bindings.Select(b => b.Option).Prepend(Spec).Concat(_sweep?.Options ?? []);

    /// <summary>The option of each spec property these options set (a sweep's: <c>--sweep</c>).</summary>
    public IReadOnlyDictionary<string, Option> ByProperty
    {
        get
        {
            var options = _bindings.ToDictionary(b => b.Property, b => b.Option, StringComparer.Ordinal);
            if (_sweep is not null)
            {
                options[nameof(TrainingJobSpec.Sweep)] = _sweep.Sweep;
            }

            return options;
        }
    }

    /// <summary>The spec field a setting's name means: an option's name without dashes (<c>lr</c>, <c>batch-size</c>, <c>arch</c>) or the field itself (<c>learningRate</c>).</summary>
    public string? FieldOf(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var binding = _bindings.FirstOrDefault(b => string.Equals(b.Option.Name, "--" + setting, StringComparison.Ordinal));
        string? field = binding is not null ? System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(binding.Property) : setting;
        return SweepSpec.SpecFields().Contains(field) ? field : null;
    }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in Options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The options given on the command line over <paramref name="spec"/>; options not given leave its fields as they are.</summary>
    public TrainingJobSpec Bind(ParseResult result, TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(spec);
        var bound = _bindings.Aggregate(spec, (current, binding) => result.GetResult(binding.Option) is { Implicit: false } ? binding.Apply(result, current) : current);
        return _sweep is null ? bound : bound with { Sweep = _sweep.Bind(result, bound.Sweep) };
    }

    private void Add<T>(string property, Option<T> option, Func<TrainingJobSpec, T, TrainingJobSpec> set) =>
        _bindings.Add(new Binding(property, option, (result, spec) => set(spec, result.GetValue(option)!)));

    private sealed record Binding(string Property, Option Option, Func<ParseResult, TrainingJobSpec, TrainingJobSpec> Apply);
}
