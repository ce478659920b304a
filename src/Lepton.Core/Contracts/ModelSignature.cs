using System.Text.Json.Serialization;
using Lepton.Core.Data.Tables;
using Lepton.Core.Registry;

namespace Lepton.Core.Contracts;

/// <summary>What a model does.</summary>
public enum ModelKind
{
    /// <summary>Takes an input, gives a score per class.</summary>
    Classifier,

    /// <summary>Takes latent vectors, gives images.</summary>
    Generator,
}

/// <summary>What a model's input tensor holds. A new input kind is one more case here (docs/architecture.md).</summary>
public enum InputKind
{
    /// <summary>Pixels [N,C,H,W] in [0,1]; <see cref="InputSignature.Image"/> says how pictures become them.</summary>
    Image,

    /// <summary>Standard-normal vectors [N,z]; <see cref="InputSignature.LatentSize"/> is z.</summary>
    Latent,

    /// <summary>
    /// Token ids int64 [N,T] of a text (<see cref="InputSignature.Text"/>); the tokenizer is in the model's
    /// metadata (<see cref="TextTokenizer.MetadataKey"/>). Requests send the text.
    /// </summary>
    Text,

    /// <summary>
    /// Features float32 [N,F] of a table row (<see cref="InputSignature.Table"/>: the columns and their
    /// training statistics, turned into features by <see cref="TableFeaturizer"/>). Requests send the columns.
    /// </summary>
    Table,

    /// <summary>
    /// A tensor of another shape (a model Lepton did not train, published as it is): served through the
    /// Open Inference Protocol only; <see cref="InputSignature.Shape"/> is its shape without the batch.
    /// </summary>
    Tensor,
}

/// <summary>What a model's output tensor holds.</summary>
public enum OutputKind
{
    /// <summary>Raw scores [N,classes]; softmax gives the probabilities of <see cref="OutputSignature.Labels"/>.</summary>
    Logits,

    /// <summary>Images [N,C,H,W] with values in [0,1].</summary>
    Image,
}

/// <summary>How a picture of any size is brought to the model's height and width.</summary>
public enum ResizePolicy
{
    /// <summary>Scaled to fit inside, aspect kept, the rest padded with the picture's border colour.</summary>
    Fit,

    /// <summary>
    /// The shorter side scaled to the model's (area-averaged), then the centre cropped to its height and
    /// width: nothing padded, the long side's ends cut. Image-folder datasets are prepared this way.
    /// </summary>
    ShorterSideCenterCrop,
}

/// <summary>What the model was trained to see, so a server can bring a photo to it.</summary>
public enum ImagePolarity
{
    /// <summary>Light objects on a dark background (MNIST-like): a picture with a light border is inverted.</summary>
    LightOnDark,

    /// <summary>Pixels as they are.</summary>
    AsIs,
}

/// <summary>An image's channels (1 gray, 3 RGB), height and width.</summary>
public sealed record ImageShape(int Channels, int Height, int Width)
{
    [JsonIgnore]
    public int Values => Channels * Height * Width;

    public override string ToString() => $"[{Channels},{Height},{Width}]";
}

/// <summary>How a picture becomes the input: its shape, resize policy and polarity.</summary>
public sealed record ImageInputSpec(ImageShape Shape, ResizePolicy Resize = ResizePolicy.Fit, ImagePolarity Polarity = ImagePolarity.LightOnDark);

/// <summary>A text model's input: the request field, the ids per text, the longest text a request may send.</summary>
/// <param name="Field">The JSON field (and Open Inference Protocol BYTES input) holding the text.</param>
/// <param name="MaxTokens">T: ids per text (cut or padded).</param>
/// <param name="MaxCharacters">The longest text a request may send.</param>
/// <param name="Units">How the text is cut: "words", then "+subwords" (unknown words cut into known pieces), then "+pairs" (neighbouring word pairs).</param>
public sealed record TextInputSpec(string Field, int MaxTokens, int MaxCharacters, string Units, int VocabularySize)
{
    public const string DefaultField = "text";
    public const int DefaultMaxCharacters = 20_000;
}

/// <summary>A table model's input: its columns with their training statistics, in feature order.</summary>
public sealed record TableInputSpec(IReadOnlyList<TableColumn> Columns)
{
    [JsonIgnore]
    public int FeatureCount => Columns.Sum(c => c.FeatureCount);
}

/// <summary>A model's one input. Exactly the field of its <see cref="Kind"/> is set.</summary>
public sealed record InputSignature
{
    public required InputKind Kind { get; init; }

    /// <summary>The ONNX input's name.</summary>
    public required string Tensor { get; init; }

    public ImageInputSpec? Image { get; init; }

    public int? LatentSize { get; init; }

    public TextInputSpec? Text { get; init; }

    public TableInputSpec? Table { get; init; }

    /// <summary>A <see cref="InputKind.Tensor"/> input's shape after the batch dimension (-1: any size).</summary>
    public IReadOnlyList<long>? Shape { get; init; }

    /// <summary>Values per example (C*H*W, or z).</summary>
    [JsonIgnore]
    public int Values => Kind switch
    {
        InputKind.Image => Image!.Shape.Values,
        InputKind.Latent => LatentSize!.Value,
        InputKind.Text => Text!.MaxTokens,
        InputKind.Table => Table!.FeatureCount,
        InputKind.Tensor => (int)Shape!.Aggregate(1L, (a, d) => a * Math.Max(d, 1)),
        _ => throw new InvalidOperationException($"input kind {Kind} has no size"),
    };
}

/// <summary>A model's one output. <see cref="Labels"/> are the class names (a generator's: what it was trained on).</summary>
public sealed record OutputSignature
{
    public required OutputKind Kind { get; init; }

    /// <summary>The ONNX output's name.</summary>
    public required string Tensor { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The shape of a generated image.</summary>
    public ImageShape? Image { get; init; }
}

/// <summary>
/// What a model takes and gives, written once by the trainer, kept in the ONNX metadata
/// (<see cref="MetadataKey"/>) and in the manifest, and read by every server, explainer, card and the
/// console. Models published before it existed get theirs from <see cref="Infer"/>.
/// </summary>
public sealed record ModelSignature
{
    /// <summary>The ONNX metadata key holding the signature as JSON.</summary>
    public const string MetadataKey = "lepton.signature";

    public required ModelKind Kind { get; init; }

    public required InputSignature Input { get; init; }

    public required OutputSignature Output { get; init; }

    /// <summary>A classifier of pictures: pixels [N,C,H,W] in, logits [N,labels] out.</summary>
    public static ModelSignature ImageClassifier(ImageInputSpec image, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Classifier(new InputSignature { Kind = InputKind.Image, Tensor = ModelContract.InputName, Image = image }, labels);
    }

    /// <summary>A classifier of texts: token ids [N,T] in, logits [N,labels] out.</summary>
    public static ModelSignature TextClassifier(TextInputSpec text, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Classifier(new InputSignature { Kind = InputKind.Text, Tensor = ModelContract.TokensInputName, Text = text }, labels);
    }

    /// <summary>A classifier of table rows: features [N,F] in, logits [N,labels] out.</summary>
    public static ModelSignature TableClassifier(TableInputSpec table, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Classifier(new InputSignature { Kind = InputKind.Table, Tensor = ModelContract.FeaturesInputName, Table = table }, labels);
    }

    /// <summary>A classifier of <paramref name="input"/>: logits [N,labels] out.</summary>
    private static ModelSignature Classifier(InputSignature input, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return new ModelSignature
        {
            Kind = ModelKind.Classifier,
            Input = input,
            Output = new OutputSignature { Kind = OutputKind.Logits, Tensor = ModelContract.OutputName, Labels = labels },
        };
    }

    /// <summary>A generator: latent [N,z] in, images [N,C,H,W] out.</summary>
    public static ModelSignature Generator(int latentSize, ImageShape image, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labels);
        return new ModelSignature
        {
            Kind = ModelKind.Generator,
            Input = new InputSignature { Kind = InputKind.Latent, Tensor = ModelContract.LatentInputName, LatentSize = latentSize },
            Output = new OutputSignature { Kind = OutputKind.Image, Tensor = ModelContract.ImageOutputName, Labels = labels, Image = image },
        };
    }

    /// <summary>
    /// The signature of a model that has none written (published before signatures): what its kind,
    /// tensors and labels say. A classifier's image is grayscale and light-on-dark, as every such model was.
    /// </summary>
    /// <param name="kind">The recorded kind (absent: classifier).</param>
    /// <param name="input">The input's name and shape ([N,C,H,W] or [N,z]; -1 or 0 for dynamic).</param>
    /// <param name="output">The output's name and shape.</param>
    /// <param name="labels">The class names.</param>
    public static ModelSignature Infer(ModelKind kind, TensorSpec input, TensorSpec output, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(labels);
        if (kind == ModelKind.Generator || input.Name == ModelContract.LatentInputName)
        {
            return new ModelSignature
            {
                Kind = ModelKind.Generator,
                Input = new InputSignature { Kind = InputKind.Latent, Tensor = input.Name, LatentSize = (int)Dimension(input.Shape, 1, 1) },
                Output = new OutputSignature { Kind = OutputKind.Image, Tensor = output.Name, Labels = labels, Image = Shape(output.Shape) },
            };
        }

        var inputSignature = input.Shape.Count == 4
            ? new InputSignature { Kind = InputKind.Image, Tensor = input.Name, Image = new ImageInputSpec(Shape(input.Shape)) }
            : new InputSignature { Kind = InputKind.Tensor, Tensor = input.Name, Shape = [.. input.Shape.Skip(1)] };
        return new ModelSignature
        {
            Kind = ModelKind.Classifier,
            Input = inputSignature,
            Output = new OutputSignature { Kind = OutputKind.Logits, Tensor = output.Name, Labels = labels },
        };
    }

    /// <summary>What is wrong with this signature against a model's tensors (empty when it fits).</summary>
    public IReadOnlyList<string> Check(IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count != 1 || outputs.Count != 1)
        {
            return [$"the model has {inputs.Count} inputs and {outputs.Count} outputs; a signature describes one of each"];
        }

        var (input, output) = (inputs[0], outputs[0]);
        var problems = new List<string>();
        if (input.Name != Input.Tensor)
        {
            problems.Add($"the signature's input is '{Input.Tensor}', the model's '{input.Name}'");
        }

        if (output.Name != Output.Tensor)
        {
            problems.Add($"the signature's output is '{Output.Tensor}', the model's '{output.Name}'");
        }

        long[] expectedInput = Input.Kind switch
        {
            InputKind.Image when Input.Image is { } image => [image.Shape.Channels, image.Shape.Height, image.Shape.Width],
            InputKind.Latent when Input.LatentSize is int z => [z],
            InputKind.Text when Input.Text is { } text => [text.MaxTokens],
            InputKind.Table when Input.Table is { } table => [table.FeatureCount],
            InputKind.Tensor when Input.Shape is { Count: > 0 } dimensions => [.. dimensions],
            _ => [],
        };
        if (expectedInput.Length == 0)
        {
            problems.Add($"the signature's {Input.Kind} input has no {Input.Kind switch { InputKind.Image => "image", InputKind.Text => "text", InputKind.Table => "table", _ => "latent size" }}");
        }
        else if (!Fits(input.Shape, expectedInput))
        {
            problems.Add($"the signature's input [N,{string.Join(',', expectedInput)}] does not fit the model's [{string.Join(',', input.Shape)}]");
        }

        if (Output.Kind == OutputKind.Logits && Output.Labels.Count > 0 && !Fits(output.Shape, [Output.Labels.Count]))
        {
            problems.Add($"the signature has {Output.Labels.Count} labels, the model's output is [{string.Join(',', output.Shape)}]");
        }

        if (Output.Kind == OutputKind.Image && (Output.Image is not { } shape || !Fits(output.Shape, [shape.Channels, shape.Height, shape.Width])))
        {
            problems.Add($"the signature's output image {Output.Image} does not fit the model's [{string.Join(',', output.Shape)}]");
        }

        return problems;
    }

    private static bool Fits(IReadOnlyList<long> actual, long[] expected) =>
        actual.Count == expected.Length + 1 && expected.Select((d, i) => actual[i + 1] <= 0 || d <= 0 || actual[i + 1] == d).All(ok => ok);

    private static ImageShape Shape(IReadOnlyList<long> shape) => shape.Count switch
    {
        4 => new ImageShape((int)Dimension(shape, 1, 1), (int)Dimension(shape, 2, 28), (int)Dimension(shape, 3, 28)),
        3 => new ImageShape(1, (int)Dimension(shape, 1, 28), (int)Dimension(shape, 2, 28)), // recurrent: [N,rows,columns]
        _ => new ImageShape(1, 28, 28),
    };

    private static long Dimension(IReadOnlyList<long> shape, int index, long fallback) =>
        index < shape.Count && shape[index] > 0 ? shape[index] : fallback;
}
