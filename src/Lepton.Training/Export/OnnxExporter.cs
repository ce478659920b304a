using System.Text.Json;
using Google.Protobuf;
using Lepton.Core.Contracts;
using Lepton.Training.Models;
using Lepton.Training.Transfer;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Export;

/// <summary>
/// Translates a TorchSharp model (a <see cref="Sequential"/> of the layer types the model zoo uses,
/// nested or not) into an ONNX graph at opset 17 with a dynamic batch dimension, the input and output
/// names of <see cref="ModelContract"/>, and the labels, normalization and architecture as metadata.
/// Layers are exported as they behave in evaluation mode (dropout is the identity; batch norm uses
/// its running statistics). A module it does not know fails the export with its name.
/// </summary>
public static class OnnxExporter
{
    private const int FloatType = (int)TensorProto.Types.DataType.Float;

    public static ModelProto Export(nn.Module<Tensor, Tensor> model, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var graph = new GraphProto { Name = options.Architecture };
        var state = new GraphBuilder(graph);
        string output = ExportModule(state, "model", model, options.Signature.Input.Tensor);
        return Classifier(graph, state, output, options);
    }

    /// <summary>
    /// A <c>transfer</c> classifier as ONE graph: the frozen backbone's front (<see cref="TransferBackbone.AppendFeatures"/>:
    /// pixels [N,C,H,W] in [0,1] at the data's size, resized and normalized in the graph) and the trained
    /// <paramref name="head"/> on its [N,512] features; the same input, output, signature and metadata as
    /// every classifier.
    /// </summary>
    public static ModelProto ExportTransfer(nn.Module<Tensor, Tensor> head, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        var graph = new GraphProto { Name = options.Architecture };
        var state = new GraphBuilder(graph);
        var metadata = new Dictionary<string, string>(options.Metadata) { [TransferBackbone.MetadataKey] = TransferBackbone.Name };
        string features;
        if (head is Models.FineTunedTransfer fineTuned)
        {
            // The package's front, then its last stage with the trained weights, then the head.
            features = TransferBackbone.AppendFeatures(state, "backbone", ModelContract.InputName, options.Channels, fineTuned.Stage.Weights);
            head = fineTuned.Head;
            metadata[TransferBackbone.FineTunedKey] = TransferBackbone.FineTunedStage;
        }
        else
        {
            features = TransferBackbone.AppendFeatures(state, "backbone", ModelContract.InputName, options.Channels);
        }

        string output = ExportModule(state, "head", head, features);
        return Classifier(graph, state, output, options with { Metadata = metadata });
    }

    /// <summary>
    /// The backbone's front alone, up to its last stage: input <see cref="ModelContract.InputName"/> [N,C,H,W] in
    /// [0,1], output <see cref="TransferBackbone.StageInputName"/> [N,256,14,14] (what <c>--fine-tune</c> caches).
    /// </summary>
    public static ModelProto ExportFront(int channels, int height, int width) =>
        BackbonePiece(ModelContract.InputName, [null, channels, height, width], TransferBackbone.StageInputName, StageShape,
            (state, input) => TransferBackbone.AppendFront(state, "backbone", input, channels));

    /// <summary>
    /// The backbone's last stage alone (the package's weights, or <paramref name="weights"/>): input
    /// <see cref="TransferBackbone.StageInputName"/> [N,256,14,14], output <see cref="TransferBackbone.FeaturesName"/> [N,512].
    /// </summary>
    public static ModelProto ExportStage(IReadOnlyDictionary<string, Tensor>? weights = null) =>
        BackbonePiece(TransferBackbone.StageInputName, StageShape, TransferBackbone.FeaturesName, [null, TransferBackbone.Features],
            (state, input) => TransferBackbone.AppendStage(state, "backbone", input, weights));

    private static readonly long?[] StageShape = [null, StageGraph.Channels, StageGraph.Size, StageGraph.Size];

    /// <summary>A graph of one part of the backbone: <paramref name="append"/> from the input, its result renamed to the output.</summary>
    private static ModelProto BackbonePiece(string inputName, long?[] inputShape, string outputName, long?[] outputShape, Func<GraphBuilder, string, string> append)
    {
        var graph = new GraphProto { Name = TransferBackbone.Name };
        var state = new GraphBuilder(graph);
        state.Add("Identity", [append(state, inputName)], outputName, "output");
        graph.Input.Add(FloatValue(inputName, inputShape));
        graph.Output.Add(FloatValue(outputName, outputShape));
        return Model(graph);
    }

    private static ModelProto Model(GraphProto graph)
    {
        var proto = new ModelProto { IrVersion = OnnxExportOptions.IrVersion, ProducerName = "Lepton", Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxExportOptions.Opset });
        return proto;
    }

    /// <summary>
    /// The backbone's front alone, for computing features: input <see cref="ModelContract.InputName"/> [N,C,H,W]
    /// in [0,1], output <see cref="TransferBackbone.FeaturesName"/> [N,512].
    /// </summary>
    public static ModelProto ExportFeaturizer(int channels, int height, int width) =>
        BackbonePiece(ModelContract.InputName, [null, channels, height, width], TransferBackbone.FeaturesName, [null, TransferBackbone.Features],
            (state, input) => TransferBackbone.AppendFeatures(state, "backbone", input, channels));

    private static ModelProto Classifier(GraphProto graph, GraphBuilder state, string output, OnnxExportOptions options)
    {
        var signature = options.Signature;
        string inputName = signature.Input.Tensor;
        if (state.Classes is not long classes)
        {
            throw new OnnxExportException("the model has no dense output layer: cannot tell the number of classes");
        }

        // Name the final value as the contract says.
        state.Add("Identity", [output], ModelContract.OutputName, "output");

        graph.Input.Add(signature.Input.Kind switch
        {
            InputKind.Text => TypedValue(inputName, (int)TensorProto.Types.DataType.Int64, [null, signature.Input.Text!.MaxTokens]),
            InputKind.Table => FloatValue(inputName, [null, signature.Input.Table!.FeatureCount]),
            _ => FloatValue(inputName, [null, options.Channels, options.Height, options.Width]),
        });
        graph.Output.Add(FloatValue(ModelContract.OutputName, [null, classes]));
        string inputDescription = InputDescription(signature);
        var proto = new ModelProto
        {
            IrVersion = OnnxExportOptions.IrVersion,
            ProducerName = "Lepton",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = $"Lepton {options.Architecture} classifier: input '{inputName}' {inputDescription}; output '{ModelContract.OutputName}' [N,{classes}] logits.",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxExportOptions.Opset });
        AddClassifierMetadata(proto, options, OnnxExportOptions.Opset);
        if (options.Labels.Count != classes)
        {
            throw new OnnxExportException($"the model has {classes} outputs but {options.Labels.Count} labels were given");
        }

        return proto;
    }

    /// <summary>What a classifier's input holds, for its doc string and <see cref="ModelContract.InputKey"/>.</summary>
    internal static string InputDescription(ModelSignature signature) => signature.Input.Kind switch
    {
        InputKind.Text => $"token ids int64 [N,{signature.Input.Text!.MaxTokens}], 0 pads; the tokenizer is the metadata '{Core.Data.Tables.TextTokenizer.MetadataKey}'",
        InputKind.Table => $"features float32 [N,{signature.Input.Table!.FeatureCount}]: standardized numbers, one-hot categories (the signature's columns)",
        _ => ModelContract.InputDescription,
    };

    /// <summary>
    /// A classifier's metadata: labels, normalization, architecture, input and output, opset (of the default
    /// domain), kind, signature and the options' extra entries. Every classifier file has these, whoever built its graph.
    /// </summary>
    internal static void AddClassifierMetadata(ModelProto proto, OnnxExportOptions options, long opset)
    {
        AddMetadata(proto, ModelContract.LabelsKey, JsonSerializer.Serialize(options.Labels));
        AddMetadata(proto, ModelContract.NormalizationKey, JsonSerializer.Serialize(
            new { mean = options.Normalization.Mean, std = options.Normalization.Std }));
        AddMetadata(proto, ModelContract.ArchitectureKey, options.Architecture);
        AddMetadata(proto, ModelContract.InputKey, InputDescription(options.Signature));
        AddMetadata(proto, ModelContract.OutputKindKey, ModelContract.OutputDescription);
        AddMetadata(proto, ModelContract.OpsetKey, opset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddMetadata(proto, ModelContract.KindKey, KindValue(ModelKind.Classifier));
        AddMetadata(proto, ModelSignature.MetadataKey, LeptonJson.Serialize(options.Signature));
        foreach (var (key, value) in options.Metadata)
        {
            AddMetadata(proto, key, value);
        }
    }

    /// <summary>
    /// A generator: input <see cref="ModelContract.LatentInputName"/> [batch,z], output
    /// <see cref="ModelContract.ImageOutputName"/> [batch,C,H,W]; the metadata says the kind, latent size and shape.
    /// </summary>
    public static ModelProto ExportGenerator(nn.Module<Tensor, Tensor> generator, GeneratorExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        var graph = new GraphProto { Name = options.Architecture };
        var state = new GraphBuilder(graph);
        string output = ExportModule(state, "generator", generator, ModelContract.LatentInputName);
        state.Add("Identity", [output], ModelContract.ImageOutputName, "output");
        graph.Input.Add(FloatValue(ModelContract.LatentInputName, [null, options.LatentSize]));
        graph.Output.Add(FloatValue(ModelContract.ImageOutputName, [null, options.Channels, options.Height, options.Width]));
        var proto = new ModelProto
        {
            IrVersion = OnnxExportOptions.IrVersion,
            ProducerName = "Lepton",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = $"Lepton {options.Architecture} generator: input '{ModelContract.LatentInputName}' [N,{options.LatentSize}] standard normal; " +
                $"output '{ModelContract.ImageOutputName}' [N,{options.Channels},{options.Height},{options.Width}] pixels in [0,1].",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxExportOptions.Opset });
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        AddMetadata(proto, ModelContract.KindKey, KindValue(ModelKind.Generator));
        AddMetadata(proto, ModelSignature.MetadataKey, LeptonJson.Serialize(options.Signature));
        AddMetadata(proto, ModelContract.ArchitectureKey, options.Architecture);
        AddMetadata(proto, ModelContract.LatentSizeKey, options.LatentSize.ToString(invariant));
        AddMetadata(proto, ModelContract.ImageShapeKey, JsonSerializer.Serialize(new[] { options.Channels, options.Height, options.Width }));
        AddMetadata(proto, ModelContract.LabelsKey, JsonSerializer.Serialize(options.Labels));
        AddMetadata(proto, ModelContract.OpsetKey, OnnxExportOptions.Opset.ToString(invariant));
        foreach (var (key, value) in options.Metadata)
        {
            AddMetadata(proto, key, value);
        }

        return proto;
    }

    /// <summary>Exports a generator and writes the file; returns the bytes written.</summary>
    public static byte[] SaveGenerator(nn.Module<Tensor, Tensor> generator, GeneratorExportOptions options, string path) =>
        Write(ExportGenerator(generator, options).ToByteArray(), path);

    /// <summary>Exports a transfer classifier and writes the file; returns the bytes written.</summary>
    public static byte[] SaveTransfer(nn.Module<Tensor, Tensor> head, OnnxExportOptions options, string path) =>
        Write(ExportTransfer(head, options).ToByteArray(), path);

    /// <summary>Exports and writes the file; returns the bytes written.</summary>
    public static byte[] Save(nn.Module<Tensor, Tensor> model, OnnxExportOptions options, string path) =>
        Write(Export(model, options).ToByteArray(), path);

    internal static byte[] Write(byte[] bytes, string path)
    {
        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return bytes;
    }

    private static string ExportModule(GraphBuilder g, string name, nn.Module module, string input)
    {
        switch (module)
        {
            case Sequential sequential:
                string current = input;
                foreach (var (childName, child) in sequential.named_children())
                {
                    current = ExportModule(g, $"{name}.{childName}", child, current);
                }

                return current;
            case Normalize normalize:
                string mean = g.Constant($"{name}.mean", [normalize.Mean], []);
                string std = g.Constant($"{name}.std", [normalize.Std], []);
                string centered = g.Add("Sub", [input, mean], $"{name}.centered", name + ".sub");
                return g.Add("Div", [centered, std], name, name);
            case Conv2d conv:
                return ExportConv(g, name, conv, input);
            case MaxPool2d pool:
                return ExportMaxPool(g, name, pool, input);
            case ReLU:
                return g.Add("Relu", [input], name, name);
            case Flatten flatten:
                if (flatten.end_dim != -1)
                {
                    throw new OnnxExportException($"module '{name}' (Flatten): only end_dim = -1 is supported, not {flatten.end_dim}");
                }

                return g.Add("Flatten", [input], name, name, Int("axis", flatten.start_dim));
            case Linear linear:
                return ExportLinear(g, name, linear, input);
            case BatchNorm1d or BatchNorm2d:
                return ExportBatchNorm(g, name, (BatchNorm)module, input);
            case Dropout or Dropout2d:
                return input; // identity in evaluation mode
            case Identity:
                return input;
            case ResidualBlock block:
                return ExportResidualBlock(g, name, block, input);
            case GlobalAveragePool:
                string pooled = g.Add("GlobalAveragePool", [input], $"{name}.pooled", name);
                return g.Add("Flatten", [pooled], name, $"{name}.flatten", Int("axis", 1));
            case RecurrentClassifier recurrent:
                return RecurrentExport.Export(g, name, recurrent, input);
            case TextBowClassifier bow:
                return TextExport.ExportBow(g, name, bow, input);
            case TextRecurrentClassifier text:
                return TextExport.ExportRecurrent(g, name, text, input);
            case ConvTranspose2d deconv:
                return ExportConvTranspose(g, name, deconv, input);
            case LeakyReLU leaky:
                return g.Add("LeakyRelu", [input], name, name, Float("alpha", (float)leaky.negative_slope));
            case Sigmoid:
                return g.Add("Sigmoid", [input], name, name);
            case Tanh:
                return g.Add("Tanh", [input], name, name);
            case Unflatten unflatten:
                if (unflatten.dim != 1)
                {
                    throw new OnnxExportException($"module '{name}' (Unflatten): only dim = 1 is supported, not {unflatten.dim}");
                }

                return g.Add("Reshape", [input, g.Int64Constant($"{name}.shape", [0, .. unflatten.unflattened_size])], name, name);
            default:
                throw new OnnxExportException(
                    $"module '{name}' of type {module.GetType().Name} is not supported by the ONNX exporter " +
                    "(supported: Sequential, Normalize, RecurrentClassifier (GRU, LSTM), ResidualBlock, GlobalAveragePool, Conv2d, ConvTranspose2d, MaxPool2d, ReLU, LeakyReLU, Sigmoid, Tanh, Flatten, Unflatten, Linear, BatchNorm1d, BatchNorm2d, Dropout, Dropout2d, Identity)");
        }
    }

    private static string ExportConv(GraphBuilder g, string name, Conv2d conv, string input)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw new OnnxExportException($"module '{name}' (Conv2d): padding mode {conv.padding_mode} is not supported, only zeros");
        }

        if (conv.padding_type is not null && conv.padding_type != Padding.Valid)
        {
            throw new OnnxExportException($"module '{name}' (Conv2d): padding '{conv.padding_type}' is not supported; give explicit padding");
        }

        long[] pads = conv.padding_type == Padding.Valid || conv.padding is null ? [0, 0] : Pair(conv.padding);
        var inputs = new List<string> { input, g.Initializer($"{name}.weight", conv.weight!) };
        if (conv.bias is not null)
        {
            inputs.Add(g.Initializer($"{name}.bias", conv.bias));
        }

        return g.Add("Conv", inputs, name, name,
            Ints("kernel_shape", Pair(conv.kernel_size)),
            Ints("strides", Pair(conv.stride)),
            Ints("pads", [pads[0], pads[1], pads[0], pads[1]]),
            Ints("dilations", Pair(conv.dilation)),
            Int("group", conv.groups));
    }

    private static string ExportResidualBlock(GraphBuilder g, string name, ResidualBlock block, string input)
    {
        string main = ExportModule(g, $"{name}.main", block.Main, input);
        string skip = block.Shortcut is null ? input : ExportModule(g, $"{name}.shortcut", block.Shortcut, input);
        string sum = g.Add("Add", [main, skip], $"{name}.sum", $"{name}.add");
        return g.Add("Relu", [sum], name, name);
    }

    private static string ExportConvTranspose(GraphBuilder g, string name, ConvTranspose2d deconv, string input)
    {
        if (deconv.padding_mode != PaddingModes.Zeros)
        {
            throw new OnnxExportException($"module '{name}' (ConvTranspose2d): padding mode {deconv.padding_mode} is not supported, only zeros");
        }

        long[] pads = deconv.padding is null ? [0, 0] : Pair(deconv.padding);
        long[] outputPadding = deconv.output_padding is { Length: > 0 } ? Pair(deconv.output_padding) : [0, 0];
        // PyTorch and ONNX both lay the weight out as [in, out/groups, kH, kW].
        var inputs = new List<string> { input, g.Initializer($"{name}.weight", deconv.weight!) };
        if (deconv.bias is not null)
        {
            inputs.Add(g.Initializer($"{name}.bias", deconv.bias));
        }

        return g.Add("ConvTranspose", inputs, name, name,
            Ints("kernel_shape", Pair(deconv.kernel_size)),
            Ints("strides", Pair(deconv.stride)),
            Ints("pads", [pads[0], pads[1], pads[0], pads[1]]),
            Ints("output_padding", outputPadding),
            Ints("dilations", Pair(deconv.dilation)),
            Int("group", deconv.groups));
    }

    private static string ExportMaxPool(GraphBuilder g, string name, MaxPool2d pool, string input)
    {
        long[] kernel = Pair(pool.kernel_size ?? throw new OnnxExportException($"module '{name}' (MaxPool2d) has no kernel size"));
        long[] stride = pool.stride is { Length: > 0 } ? Pair(pool.stride) : kernel;
        long[] pads = pool.padding is { Length: > 0 } ? Pair(pool.padding) : [0, 0];
        long[] dilation = pool.dilation is { Length: > 0 } ? Pair(pool.dilation) : [1, 1];
        return g.Add("MaxPool", [input], name, name,
            Ints("kernel_shape", kernel),
            Ints("strides", stride),
            Ints("pads", [pads[0], pads[1], pads[0], pads[1]]),
            Ints("dilations", dilation),
            Int("ceil_mode", pool.ceil_mode ? 1 : 0));
    }

    internal static string ExportLinear(GraphBuilder g, string name, Linear linear, string input)
    {
        var inputs = new List<string> { input, g.Initializer($"{name}.weight", linear.weight!) };
        if (linear.bias is not null)
        {
            inputs.Add(g.Initializer($"{name}.bias", linear.bias));
        }

        g.Classes = linear.out_features;
        return g.Add("Gemm", inputs, name, name, Int("transB", 1));
    }

    private static string ExportBatchNorm(GraphBuilder g, string name, BatchNorm bn, string input)
    {
        if (bn.running_mean is null || bn.running_var is null)
        {
            throw new OnnxExportException($"module '{name}' ({bn.GetType().Name}): only batch norm with running statistics is supported");
        }

        long features = bn.num_features;
        string scale = bn.weight is not null
            ? g.Initializer($"{name}.weight", bn.weight)
            : g.Constant($"{name}.weight", Enumerable.Repeat(1f, (int)features).ToArray(), [features]);
        string bias = bn.bias is not null
            ? g.Initializer($"{name}.bias", bn.bias)
            : g.Constant($"{name}.bias", new float[features], [features]);
        return g.Add("BatchNormalization",
            [input, scale, bias, g.Initializer($"{name}.running_mean", bn.running_mean), g.Initializer($"{name}.running_var", bn.running_var)],
            name, name,
            Float("epsilon", (float)bn.eps));
    }

    private static long[] Pair(long[] values) => values.Length switch
    {
        1 => [values[0], values[0]],
        2 => values,
        _ => throw new OnnxExportException($"expected one or two values, got {values.Length}"),
    };

    internal static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    internal static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    internal static AttributeProto Ints(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    internal static ValueInfoProto FloatValue(string name, long?[] dims) => TypedValue(name, FloatType, dims);

    internal static ValueInfoProto TypedValue(string name, int elementType, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long? d in dims)
        {
            shape.Dim.Add(d is long v
                ? new TensorShapeProto.Types.Dimension { DimValue = v }
                : new TensorShapeProto.Types.Dimension { DimParam = ModelContract.BatchDimension });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }

    private static string KindValue(ModelKind kind) => kind.ToString().ToLowerInvariant();

    private static void AddMetadata(ModelProto proto, string key, string value) =>
        proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    internal sealed class GraphBuilder(GraphProto graph)
    {
        public long? Classes { get; set; }

        public string Add(string opType, IEnumerable<string> inputs, string output, string nodeName, params AttributeProto[] attributes)
        {
            AddMany(opType, inputs, [output], nodeName, attributes);
            return output;
        }

        /// <summary>A node with several outputs (an empty name skips an optional one).</summary>
        public void AddMany(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string nodeName, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = opType, Name = nodeName };
            node.Input.AddRange(inputs);
            node.Output.AddRange(outputs);
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
        }

        public string Initializer(string name, Tensor tensor)
        {
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
            float[] data = cpu.data<float>().ToArray();
            return Constant(name, data, cpu.shape);
        }

        /// <summary>A node copied from another graph (already renamed).</summary>
        public void AddNode(NodeProto node) => graph.Node.Add(node);

        /// <summary>A weight copied from another graph (already renamed).</summary>
        public void AddInitializer(TensorProto tensor) => graph.Initializer.Add(tensor);

        public string Int64Constant(string name, long[] data)
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            proto.Dims.Add(data.Length);
            proto.Int64Data.AddRange(data);
            graph.Initializer.Add(proto);
            return name;
        }

        public string Constant(string name, float[] data, long[] dims)
        {
            var proto = new TensorProto { Name = name, DataType = FloatType };
            proto.Dims.AddRange(dims);
            var bytes = new byte[data.Length * sizeof(float)];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("ONNX raw data is little-endian");
            }

            proto.RawData = ByteString.CopyFrom(bytes);
            graph.Initializer.Add(proto);
            return name;
        }
    }
}
