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
            return new ModelDescription
            {
                Architecture = meta.GetValueOrDefault(ModelContract.ArchitectureKey),
                Inputs = session.InputMetadata.Select(kv => Spec(kv.Key, kv.Value)).ToArray(),
                Outputs = session.OutputMetadata.Select(kv => Spec(kv.Key, kv.Value)).ToArray(),
                Labels = meta.TryGetValue(ModelContract.LabelsKey, out string? labels) ? JsonSerializer.Deserialize<string[]>(labels) ?? [] : [],
                Normalization = meta.TryGetValue(ModelContract.NormalizationKey, out string? norm) ? ReadNormalization(norm) : null,
                Opset = meta.TryGetValue(ModelContract.OpsetKey, out string? opset) && long.TryParse(opset, NumberStyles.Integer, CultureInfo.InvariantCulture, out long o) ? o : null,
                Kind = meta.GetValueOrDefault(ModelContract.KindKey),
                LatentSize = meta.TryGetValue(ModelContract.LatentSizeKey, out string? z) && int.TryParse(z, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) ? size : null,
            };
        }
    }

    private static TensorSpec Spec(string name, NodeMetadata node) =>
        new(name, TensorTypes.ToDatatype(node.ElementDataType), node.Dimensions.Select(d => (long)d).ToArray());

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
