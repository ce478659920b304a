using System.Globalization;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Registry;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lepton.Inference.Runtime;

/// <summary>Reads what a registry manifest needs from an ONNX file: its signature and Lepton metadata.</summary>
public static class ModelInspector
{
    public static ModelDescription Describe(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        InferenceSession session;
        try
        {
            session = new InferenceSession(model);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"not a model ONNX Runtime can load: {ex.Message}", ex);
        }

        using (session)
        {
            var meta = session.ModelMetadata.CustomMetadataMap;
            var inputs = Specs(session.InputMetadata);
            var outputs = Specs(session.OutputMetadata);
            return new ModelDescription
            {
                Architecture = meta.GetValueOrDefault(ModelContract.ArchitectureKey),
                Inputs = inputs,
                Outputs = outputs,
                Normalization = meta.TryGetValue(ModelContract.NormalizationKey, out string? norm) ? ReadNormalization(norm) : null,
                Opset = meta.TryGetValue(ModelContract.OpsetKey, out string? opset) && long.TryParse(opset, NumberStyles.Integer, CultureInfo.InvariantCulture, out long o) ? o : null,
                FineTuned = meta.GetValueOrDefault(ModelContract.FineTunedKey),
                Signature = ReadSignature(meta, inputs, outputs),
            };
        }
    }

    /// <summary>
    /// The signature the trainer wrote (<see cref="ModelSignature.MetadataKey"/>), else the one the older
    /// metadata keys and the tensors imply. A signature that does not parse is refused, naming the key.
    /// </summary>
    public static ModelSignature ReadSignature(IReadOnlyDictionary<string, string> meta, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (meta.TryGetValue(ModelSignature.MetadataKey, out string? written))
        {
            return LeptonJson.Deserialize<ModelSignature>(written, $"the model's {ModelSignature.MetadataKey} metadata");
        }

        if (inputs.Count == 0 || outputs.Count == 0)
        {
            throw new InvalidDataException("the model has no input or no output");
        }

        var labels = meta.TryGetValue(ModelContract.LabelsKey, out string? l) ? JsonSerializer.Deserialize<string[]>(l) ?? [] : [];
        var kind = Enum.TryParse(meta.GetValueOrDefault(ModelContract.KindKey), ignoreCase: true, out ModelKind k) ? k : ModelKind.Classifier;
        return ModelSignature.Infer(kind, inputs[0], outputs[0], labels);
    }

    /// <summary>A session's inputs or outputs as the manifest describes them.</summary>
    internal static TensorSpec[] Specs(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        nodes.Select(kv => new TensorSpec(kv.Key, TensorTypes.ToDatatype(kv.Value.ElementDataType), kv.Value.Dimensions.Select(d => (long)d).ToArray())).ToArray();

    private static Normalization? ReadNormalization(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("mean", out var mean) && doc.RootElement.TryGetProperty("std", out var std)
            ? new Normalization(mean.GetSingle(), std.GetSingle())
            : null;
    }
}

/// <summary>Open Inference Protocol datatype names for ONNX element types.</summary>
public static class TensorTypes
{
    public static string ToDatatype(TensorElementType type) => type switch
    {
        TensorElementType.Float => "FP32",
        TensorElementType.Double => "FP64",
        TensorElementType.Float16 => "FP16",
        TensorElementType.UInt8 => "UINT8",
        TensorElementType.Int8 => "INT8",
        TensorElementType.Int16 => "INT16",
        TensorElementType.Int32 => "INT32",
        TensorElementType.Int64 => "INT64",
        TensorElementType.Bool => "BOOL",
        TensorElementType.String => "BYTES",
        _ => type.ToString().ToUpperInvariant(),
    };
}
