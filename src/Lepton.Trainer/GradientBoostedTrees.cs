using Lepton.Training.Export;
using Lepton.Training.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Lepton.Trainer;

/// <summary>
/// tabular-gbdt: gradient-boosted trees on the same feature vectors as tabular-mlp (<c>TableFeaturizer</c>),
/// trained by ML.NET (FastTree, one binary ensemble per class, calibrated and normalized: one-versus-all),
/// exported with ML.NET's ONNX converter and brought under Lepton's contract by
/// <see cref="ConvertedClassifierExport"/>. It is the one family not built from TorchSharp modules, so it is not
/// in <see cref="ArchitectureRegistry"/>: <see cref="TrainerFamilies"/> lists both. Epochs, batch size, learning
/// rate, patience, schedule, hidden size and resume do not apply (the trees' settings are fixed below; a
/// GBDT on a table trains in seconds).
/// </summary>
/// <remarks>
/// FastTree over LightGBM: on the credit table (research for issue #19) it was the more accurate of the two
/// (test accuracy 0.7790 against 0.7722 with two classes, 0.7898 against 0.7763 with three) and it is managed
/// code, with no native LightGBM library to ship; it trains slower (12 s against 3 s on one thread).
/// </remarks>
public static class GradientBoostedTrees
{
    public const string Name = "tabular-gbdt";

    public const int Trees = 200;
    public const double LearningRate = 0.05;
    public const int Leaves = 31;
    public const int MinimumRowsPerLeaf = 20;

    public static string Description { get; } =
        $"table: gradient-boosted trees (ML.NET FastTree, one-versus-all, {Trees} trees of {Leaves} leaves per class, learning rate {LearningRate}, " +
        $"at least {MinimumRowsPerLeaf} rows per leaf) on the tabular-mlp features; trained by ML.NET, not TorchSharp (epochs do not apply)";

    private const string FeaturesColumn = "Features";
    private const string LabelColumn = "Label";
    private const string ScoreColumn = "Score";

    /// <summary>Trains on <paramref name="features"/> [rows, <paramref name="featureCount"/>] row-major with labels 0..classes-1.</summary>
    public static Model Train(float[] features, byte[] labels, int featureCount, int classes, int seed, int? threads)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        var ml = new MLContext(seed);
        var definition = SchemaDefinition.Create(typeof(LabeledVector));
        definition[nameof(LabeledVector.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        var rows = Enumerable.Range(0, labels.Length).Select(i => new LabeledVector
        {
            Features = features.AsSpan(i * featureCount, featureCount).ToArray(),
            LabelIndex = labels[i],
        }).ToArray();
        // The label as a key whose values are 0..classes-1 in that order (mapped outside the model, so the exported
        // graph has no label input): the score slots are Lepton's label order, whichever classes the rows hold.
        var keys = ml.Data.LoadFromEnumerable(Enumerable.Range(0, classes).Select(c => new KeyValue { LabelIndex = (uint)c }));
        var labeled = ml.Transforms.Conversion.MapValueToKey(LabelColumn, nameof(LabeledVector.LabelIndex), keyData: keys)
            .Fit(ml.Data.LoadFromEnumerable(rows, definition));
        var data = labeled.Transform(ml.Data.LoadFromEnumerable(rows, definition));
        var trees = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = LabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfTrees = Trees,
            LearningRate = LearningRate,
            NumberOfLeaves = Leaves,
            MinimumExampleCountPerLeaf = MinimumRowsPerLeaf,
            NumberOfThreads = threads,
            Seed = seed,
        });
        var transformer = ml.MulticlassClassification.Trainers.OneVersusAll(trees, labelColumnName: LabelColumn).Fit(data);
        return new Model(ml, transformer, featureCount, classes);
    }

    /// <summary>A trained ensemble: its class probabilities in ML.NET, and its ONNX export.</summary>
    public sealed class Model(MLContext ml, ITransformer transformer, int featureCount, int classes)
    {
        public int Classes => classes;

        /// <summary>Class probabilities [rows, classes] row-major, as ML.NET computes them.</summary>
        public float[] Probabilities(float[] features)
        {
            ArgumentNullException.ThrowIfNull(features);
            int n = features.Length / featureCount;
            var scored = transformer.Transform(Vectors(features, n));
            var result = new float[n * classes];
            int row = 0;
            foreach (var score in scored.GetColumn<VBuffer<float>>(ScoreColumn))
            {
                if (score.Length != classes)
                {
                    throw new InvalidOperationException($"ML.NET scored {score.Length} classes, expected {classes}");
                }

                score.DenseValues().ToArray().CopyTo(result, row++ * classes);
            }

            return result;
        }

        /// <summary>Exports with ML.NET's converter and writes the file under Lepton's contract.</summary>
        public void Save(OnnxExportOptions options, string path)
        {
            using var stream = new MemoryStream();
            // Converted from a label-free view: the graph takes the feature vector only.
            ml.Model.ConvertToOnnx(transformer, Vectors(new float[featureCount], 1), stream, ScoreColumn);
            var converted = Onnx.ModelProto.Parser.ParseFrom(stream.ToArray());
            string output = converted.Graph.Output.Select(o => o.Name).FirstOrDefault(n => n == ScoreColumn || n.StartsWith(ScoreColumn + ".", StringComparison.Ordinal))
                ?? throw new OnnxExportException($"ML.NET's ONNX graph has no '{ScoreColumn}' output (outputs: {string.Join(", ", converted.Graph.Output.Select(o => o.Name))})");
            ConvertedClassifierExport.Save(converted, FeaturesColumn, output, options, path);
        }

        private IDataView Vectors(float[] features, int n)
        {
            var definition = SchemaDefinition.Create(typeof(Vector));
            definition[nameof(Vector.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
            var rows = Enumerable.Range(0, n).Select(i => new Vector { Features = features.AsSpan(i * featureCount, featureCount).ToArray() }).ToArray();
            return ml.Data.LoadFromEnumerable(rows, definition);
        }
    }

    private sealed class Vector
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class LabeledVector
    {
        public float[] Features { get; set; } = [];

        public uint LabelIndex { get; set; }
    }

    private sealed class KeyValue
    {
        public uint LabelIndex { get; set; }
    }
}

/// <summary>Every family lepton-trainer trains: the TorchSharp registry's and tabular-gbdt (ML.NET).</summary>
public static class TrainerFamilies
{
    public static IReadOnlyCollection<string> Names => [.. ArchitectureRegistry.Names.Append(GradientBoostedTrees.Name).Order(StringComparer.Ordinal)];
}
