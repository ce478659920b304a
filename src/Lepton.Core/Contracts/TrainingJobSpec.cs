namespace Lepton.Core.Contracts;

/// <summary>How the learning rate moves over the epochs.</summary>
public enum LearningRateSchedule
{
    /// <summary>The same rate every epoch.</summary>
    Constant,

    /// <summary>Cosine annealing from the rate down towards zero at the last epoch.</summary>
    Cosine,
}

/// <summary>
/// One training job: what to train, on what, with which hyperparameters, and where to write. The JSON
/// form (camelCase) is what compute targets hand the trainer; its schema is docs/job-spec.md.
/// </summary>
public sealed record TrainingJobSpec
{
    /// <summary>The smallest height and width image folders are prepared at.</summary>
    public const int MinImageSize = 16;

    /// <summary>The largest height and width image folders are prepared at.</summary>
    public const int MaxImageSize = 224;

    /// <summary>The family to train; <see cref="KnownArchitectures.Auto"/>: chosen from the data (<see cref="KnownArchitectures.ForData"/>).</summary>
    public string Architecture { get; init; } = KnownArchitectures.Auto;

    /// <summary>A folder with the four IDX files under their standard names.</summary>
    public string Data { get; init; } = string.Empty;

    /// <summary>The output folder: model.onnx, metrics.json, history.json, status.json, checkpoints/.</summary>
    public string Output { get; init; } = string.Empty;

    public int Epochs { get; init; } = 5;

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 0.001;

    public int Seed { get; init; } = 42;

    /// <summary>Use only the first N training images (null: all).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Use only the first N test images (null: all).</summary>
    public int? TestLimit { get; init; }

    /// <summary>The fraction of the training images held out, stratified, for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Stop when the validation loss has not improved for this many epochs (null: never).</summary>
    public int? Patience { get; init; }

    /// <summary>Intra-op threads for TorchSharp (null: the number of cores).</summary>
    public int? Threads { get; init; }

    /// <summary>Random horizontal flips and shifts of training images (architectures that opt in).</summary>
    public bool? Augment { get; init; }

    /// <summary>
    /// Which augmentations when augmenting (<see cref="AugmentationNames"/>; null: flip and shift for gray images,
    /// crop, flip and jitter for color ones).
    /// </summary>
    public IReadOnlyList<string>? Augmentations { get; init; }

    /// <summary>
    /// For <c>transfer</c>: also train the backbone's last residual stage (initialised from the pretrained weights)
    /// with the head, on the activations entering it (computed once per image, cached); null or false: a frozen backbone.
    /// </summary>
    public bool? FineTune { get; init; }

    /// <summary>The augmentations a job may name.</summary>
    public static IReadOnlyList<string> AugmentationNames { get; } = ["crop", "flip", "jitter", "shift"];

    /// <summary>The learning-rate schedule over the epochs (null: as the architecture prefers).</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Class names in label order (null: the dataset's labels.txt or its defaults).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Where to train: auto (CUDA when the TorchSharp build and the machine have it), cpu or cuda.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The state size of recurrent layers (gru, lstm; null: 128).</summary>
    public int? HiddenSize { get; init; }

    /// <summary>The latent vector length of a generator (dcgan; null: 64).</summary>
    public int? LatentSize { get; init; }

    /// <summary>A generator trained on one class only: its label name or index (null: every class).</summary>
    public string? Class { get; init; }

    /// <summary>
    /// Image folders are prepared at this height and width (16 to 224; null: the median shorter side of
    /// the images, bounded 16..224). The trainer takes data as prepared: set, it must match the data.
    /// </summary>
    public int? ImageSize { get; init; }

    /// <summary>
    /// Image folders are prepared with this many channels (1 gray, 3 RGB; null: 1 when every image is
    /// gray, else 3). The trainer takes data as prepared: set, it must match the data.
    /// </summary>
    public int? Channels { get; init; }

    /// <summary>Row datasets (CSV, TSV, JSON lines): the column holding the class (null: <c>label</c>).</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Row datasets: <c>text</c> (one free-text column) or <c>table</c> (null: decided from the data).</summary>
    public string? Task { get; init; }

    /// <summary>Text models: the most words (and word pairs) the tokenizer learns (null: 20000).</summary>
    public int? VocabularySize { get; init; }

    /// <summary>Continue from the last checkpoint in the output folder when there is one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>A sweep over some of these settings (null: one training run). The pipeline runs it; the trainer refuses it.</summary>
    public SweepSpec? Sweep { get; init; }

    /// <summary>Every problem with the spec, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate(IEnumerable<string> knownArchitectures)
    {
        ArgumentNullException.ThrowIfNull(knownArchitectures);
        var errors = new List<string>();
        var known = knownArchitectures.ToArray();
        if (Architecture != KnownArchitectures.Auto && !known.Contains(Architecture, StringComparer.Ordinal))
        {
            errors.Add($"unknown architecture '{Architecture}' (known: {string.Join(", ", known)})");
        }

        if (string.IsNullOrWhiteSpace(Data))
        {
            errors.Add("data: a dataset folder is required");
        }

        if (string.IsNullOrWhiteSpace(Output))
        {
            errors.Add("output: an output folder is required");
        }

        if (Epochs is < 1 or > 10_000)
        {
            errors.Add($"epochs must be between 1 and 10000, not {Epochs}");
        }

        if (BatchSize is < 1 or > 65_536)
        {
            errors.Add($"batch size must be between 1 and 65536, not {BatchSize}");
        }

        if (!(LearningRate > 0 && LearningRate < 10))
        {
            errors.Add($"learning rate must be in (0, 10), not {LearningRate}");
        }

        if (TrainLimit is < 1)
        {
            errors.Add($"train limit must be positive, not {TrainLimit}");
        }

        if (TestLimit is < 1)
        {
            errors.Add($"test limit must be positive, not {TestLimit}");
        }

        if (ValidationFraction is < 0 or >= 0.9)
        {
            errors.Add($"validation fraction must be in [0, 0.9), not {ValidationFraction}");
        }

        if (Patience is < 1)
        {
            errors.Add($"patience must be positive, not {Patience}");
        }

        if (Threads is < 1 or > 1024)
        {
            errors.Add($"threads must be between 1 and 1024, not {Threads}");
        }

        if (Device is not ("auto" or "cpu" or "cuda"))
        {
            errors.Add($"device must be auto, cpu or cuda, not '{Device}'");
        }

        if (HiddenSize is < 1 or > 4096)
        {
            errors.Add($"hidden size must be between 1 and 4096, not {HiddenSize}");
        }

        if (LatentSize is < 1 or > 4096)
        {
            errors.Add($"latent size must be between 1 and 4096, not {LatentSize}");
        }

        if (ImageSize is < MinImageSize or > MaxImageSize)
        {
            errors.Add($"image size must be between {MinImageSize} and {MaxImageSize}, not {ImageSize}");
        }

        if (Channels is not (null or 1 or 3))
        {
            errors.Add($"channels must be 1 (gray) or 3 (RGB), not {Channels}");
        }

        if (Task is not (null or "text" or "table"))
        {
            errors.Add($"task must be text or table, not '{Task}'");
        }

        if (VocabularySize is < 10 or > 1_000_000)
        {
            errors.Add($"vocabulary size must be between 10 and 1000000, not {VocabularySize}");
        }

        if (LabelColumn is { } column && (column.Length is 0 or > 200 || column.Any(char.IsControl)))
        {
            errors.Add("label column: a column name of 1 to 200 characters");
        }

        if (Labels is { Count: < 2 })
        {
            errors.Add("labels: at least two class names");
        }

        if (Augmentations?.FirstOrDefault(a => !AugmentationNames.Contains(a, StringComparer.Ordinal)) is { } unknownAugmentation)
        {
            errors.Add($"unknown augmentation '{unknownAugmentation}' (known: {string.Join(", ", AugmentationNames)})");
        }

        if (FineTune == true && Architecture is { } arch && arch is not ("transfer" or KnownArchitectures.Auto))
        {
            errors.Add($"fine-tune trains the last stage of the pretrained backbone of 'transfer': it does not apply to '{arch}' (use --arch transfer, or leave out --fine-tune)");
        }

        if (Sweep is not null)
        {
            errors.AddRange(Sweep.Validate());
        }

        return errors;
    }
}
