using System.Diagnostics;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;
using Lepton.Core.Evaluation;
using Lepton.Inference;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Training;
using TorchSharp;

namespace Lepton.Trainer;

/// <summary>
/// A text or table classifier end to end, as <see cref="TrainingJob"/> does for images: the prepared rows,
/// a stratified validation split, the tokenizer (text) or featurizer statistics (table) from the training
/// rows only, training with checkpoints and resume, ONNX export with the tokenizer in the metadata and
/// the signature, evaluation of the exported file with ONNX Runtime, TorchSharp parity, the test
/// predictions with each example's display, and for tables each column's permutation importance.
/// </summary>
internal sealed class RowTrainingJob(TrainingJobSpec spec, TextWriter log)
{
    public TrainingMetrics RunCore(string statusPath, CancellationToken cancellationToken)
    {
        var dataset = TabularDataset.Load(spec.Data);
        var schema = dataset.Schema;
        var kind = schema.Task == TableTask.Text ? DataKind.Text : DataKind.Table;
        string name;
        try
        {
            name = KnownArchitectures.Resolve(spec.Architecture, kind);
        }
        catch (ArgumentException ex)
        {
            throw new JobSpecException([ex.Message]);
        }

        if (spec.Channels is not null || spec.ImageSize is not null)
        {
            throw new JobSpecException(["channels and image size are for pictures; this dataset is rows"]);
        }

        var all = dataset.Train.Take(spec.TrainLimit ?? int.MaxValue).ToArray();
        var test = dataset.Test.Take(spec.TestLimit ?? int.MaxValue).ToArray();
        var (trainIndices, validationIndices) = StratifiedSplit.Split(TabularDataset.LabelBytes(all), spec.ValidationFraction, spec.Seed);
        var train = trainIndices.Select(i => all[i]).ToArray();
        var validation = validationIndices.Select(i => all[i]).ToArray();
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Spec), spec);
        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);

        // What turns rows into the model's input, learned from the training rows only.
        TextTokenizer? tokenizer = null;
        TableFeaturizer? featurizer = null;
        ModelSignature signature;
        int textColumn = schema.TextColumn is { } column ? dataset.IndexOf(column) : -1;
        ModelOptions modelOptions;
        if (kind == DataKind.Text)
        {
            // A bag of units is cheap at any length; a recurrence pays per step, so it reads at most RecurrentMaxTokens.
            bool pairs = RowFamilies.UsesWordPairs(name);
            tokenizer = TextTokenizer.Learn([.. train.Select(r => r.Cells[textColumn] ?? string.Empty)], spec.VocabularySize ?? TextTokenizer.DefaultVocabularySize, pairs,
                subwords: true, maxLength: pairs ? 512 : RowFamilies.RecurrentMaxTokens);
            signature = ModelSignature.TextClassifier(
                new TextInputSpec(TextInputSpec.DefaultField, tokenizer.MaxTokens, TextInputSpec.DefaultMaxCharacters, tokenizer.UnitsName, tokenizer.Vocabulary.Count),
                schema.Labels);
            modelOptions = new ModelOptions(schema.Labels.Count, new Normalization(0, 1), HiddenSize: spec.HiddenSize ?? RowFamilies.DefaultTextHiddenSize)
            {
                TokenIds = tokenizer.IdCount,
                MaxTokens = tokenizer.MaxTokens,
            };
            log.WriteLine($"data: {train.Length} train, {validation.Length} validation, {test.Length} test texts (column '{schema.TextColumn}'), {schema.Labels.Count} classes; tokenizer: {tokenizer}");
        }
        else
        {
            var used = schema.Columns.Where(c => c.FeatureCount > 0).ToArray();
            featurizer = new TableFeaturizer(used);
            signature = ModelSignature.TableClassifier(new TableInputSpec(used), schema.Labels);
            modelOptions = new ModelOptions(schema.Labels.Count, new Normalization(0, 1)) { Features = featurizer.FeatureCount };
            string left = string.Join(", ", schema.Columns.Where(c => c.FeatureCount == 0).Select(c => $"{c.Name} ({c.Type.ToString().ToLowerInvariant()})"));
            log.WriteLine($"data: {train.Length} train, {validation.Length} validation, {test.Length} test rows, {schema.Labels.Count} classes; " +
                $"{used.Length} columns as {featurizer.FeatureCount} features{(left.Length > 0 ? $"; left out: {left}" : string.Empty)}");
        }

        int[] usedIndex = featurizer is null ? [] : [.. featurizer.Columns.Select(c => dataset.IndexOf(c.Name))];
        if (name == GradientBoostedTrees.Name)
        {
            return TrainTrees(statusPath, dataset, featurizer!, usedIndex, signature, train, validation, test);
        }

        var architecture = ArchitectureRegistry.Get(name);
        // Each split is tokenized or featurized once: the test split's ids or features feed both TorchSharp and ONNX Runtime.
        (long[]? Ids, float[]? Features) Encode(IReadOnlyList<LabeledRow> rows) => kind == DataKind.Text
            ? (tokenizer!.Encode([.. rows.Select(r => r.Cells[textColumn] ?? string.Empty)]), null)
            : (null, Featurize(featurizer!, usedIndex, rows));
        torch.Tensor Inputs((long[]? Ids, float[]? Features) encoded, int count) => encoded.Ids is { } ids
            ? torch.tensor(ids, [count, tokenizer!.MaxTokens])
            : torch.tensor(encoded.Features!, [count, featurizer!.FeatureCount]);

        var options = new TrainerOptions(spec.Epochs, spec.BatchSize, spec.LearningRate, spec.Seed, Augment: false, spec.Patience, spec.Resume, spec.Schedule ?? architecture.Schedule);
        var trainer = new ModelTrainer(architecture, modelOptions, options, new Checkpoints(spec.Output));
        trainer.EpochCompleted += (record, _) =>
        {
            log.WriteLine($"epoch {record.Epoch}/{spec.Epochs}: train loss {record.TrainLoss:F4} acc {record.TrainAccuracy:F4}, " +
                $"validation loss {record.ValidationLoss:F4} acc {record.ValidationAccuracy:F4}, {record.Seconds:F1} s, {record.SamplesPerSecond:F0} samples/s");
            JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "training", record.Epoch, record, null);
        };

        var testInputs = Encode(test);
        using var trainSet = new TensorDataset(Inputs(Encode(train), train.Length), TabularDataset.LabelBytes(train));
        using var validationSet = new TensorDataset(Inputs(Encode(validation), validation.Length), TabularDataset.LabelBytes(validation));
        using var testSet = new TensorDataset(Inputs(testInputs, test.Length), TabularDataset.LabelBytes(test));
        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "training", 0, null, null);
        var clock = Stopwatch.StartNew();
        var outcome = trainer.Train(trainSet, validationSet, cancellationToken);
        using var model = outcome.Model;
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.History), outcome.History);
        var trained = outcome.History.Epochs.Where(e => e.Epoch > outcome.History.ResumedFromEpoch).ToArray();
        var last = outcome.History.Epochs.Count > 0 ? outcome.History.Epochs[^1] : null;

        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "exporting", spec.Epochs, last, null);
        string modelPath = Path.Combine(spec.Output, RunFolder.Model);
        var metadata = new Dictionary<string, string>();
        if (tokenizer is not null)
        {
            metadata[TextTokenizer.MetadataKey] = LeptonJson.Serialize(tokenizer);
        }

        OnnxExporter.Save(model, new OnnxExportOptions(name, schema.Labels, new Normalization(0, 1)) { Signature = signature, Metadata = metadata }, modelPath);

        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "evaluating", spec.Epochs, last, null);
        var torchResult = Evaluator.Evaluate(model, testSet);
        using var onnx = new OnnxRowScorer(modelPath, spec.Threads);
        var testLabels = TabularDataset.LabelBytes(test);
        float[] onnxScores = testInputs.Ids is { } testIds ? onnx.Score(testIds, test.Length) : onnx.Score(testInputs.Features!, test.Length);
        var report = ClassificationReport.Compute(testLabels, ClassificationReport.ArgMax(onnxScores, onnx.Classes), schema.Labels);
        var parity = Parity.Compare(torchResult.Scores, onnxScores, onnx.Classes);
        IReadOnlyList<ColumnImportance>? importance = featurizer is null ? null : PermutationImportance(onnx, featurizer, usedIndex, test, testLabels, report.Accuracy, spec.Seed);
        var metrics = new TrainingMetrics(name, schema.Labels, new Normalization(0, 1), train.Length, validation.Length, report, torchResult.Accuracy, parity,
            trained.Sum(e => e.Seconds), trained.Length == 0 ? 0 : trained.Average(e => e.SamplesPerSecond))
        {
            ColumnImportance = importance,
            Tokenizer = tokenizer?.ToString(),
        };
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Predictions), TestPredictions.FromLogits(testLabels, onnxScores, onnx.Classes) with
        {
            Inputs = [.. test.Select(r => dataset.Describe(r))],
        });
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Metrics), metrics);
        log.WriteLine($"test accuracy {report.Accuracy:F4} (ONNX Runtime, {report.Examples} rows), TorchSharp {torchResult.Accuracy:F4}; " +
            $"parity: max |diff| {parity.MaxAbsDifference:E2}, {parity.PredictionMismatches} prediction mismatches; {clock.Elapsed.TotalSeconds:F1} s");
        if (importance is { Count: > 0 })
        {
            log.WriteLine("permutation importance: " + string.Join(", ", importance.Take(8).Select(i => $"{i.Column} {i.AccuracyDrop:+0.000;-0.000}")));
        }

        return metrics;
    }

    /// <summary>
    /// tabular-gbdt: ML.NET's trees on the same features, exported under the same contract; parity is ML.NET's
    /// class probabilities against the softmax of the exported file's logits in ONNX Runtime. One history record.
    /// </summary>
    private TrainingMetrics TrainTrees(string statusPath, TabularDataset dataset, TableFeaturizer featurizer, int[] usedIndex, ModelSignature signature,
        LabeledRow[] train, LabeledRow[] validation, LabeledRow[] test)
    {
        var labels = dataset.Schema.Labels;
        log.WriteLine($"{GradientBoostedTrees.Name}: {GradientBoostedTrees.Description}");
        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "training", 0, null, null);
        var clock = Stopwatch.StartNew();
        float[] trainFeatures = Featurize(featurizer, usedIndex, train);
        byte[] trainLabels = TabularDataset.LabelBytes(train);
        var model = GradientBoostedTrees.Train(trainFeatures, trainLabels, featurizer.FeatureCount, labels.Count, spec.Seed, spec.Threads);
        double seconds = clock.Elapsed.TotalSeconds;
        var (trainLoss, trainAccuracy) = LossAndAccuracy(model.Probabilities(trainFeatures), trainLabels, labels.Count);
        (double Loss, double Accuracy)? validated = validation.Length == 0 ? null
            : LossAndAccuracy(model.Probabilities(Featurize(featurizer, usedIndex, validation)), TabularDataset.LabelBytes(validation), labels.Count);
        var record = new EpochRecord(1, trainLoss, trainAccuracy, validated?.Loss, validated?.Accuracy, seconds, train.Length / Math.Max(seconds, 1e-9), GradientBoostedTrees.LearningRate);
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.History), new TrainingHistory(GradientBoostedTrees.Name, [record], 1, false, 0));
        log.WriteLine($"trees: train loss {trainLoss:F4} acc {trainAccuracy:F4}, validation loss {validated?.Loss:F4} acc {validated?.Accuracy:F4}, {seconds:F1} s");

        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "exporting", 1, record, null);
        string modelPath = Path.Combine(spec.Output, RunFolder.Model);
        model.Save(new OnnxExportOptions(GradientBoostedTrees.Name, labels, new Normalization(0, 1)) { Signature = signature }, modelPath);

        JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "evaluating", 1, record, null);
        float[] testFeatures = Featurize(featurizer, usedIndex, test);
        float[] expected = model.Probabilities(testFeatures);
        using var onnx = new OnnxRowScorer(modelPath, spec.Threads);
        float[] onnxScores = onnx.Score(testFeatures, test.Length);
        var testLabels = TabularDataset.LabelBytes(test);
        var report = ClassificationReport.Compute(testLabels, ClassificationReport.ArgMax(onnxScores, onnx.Classes), labels);
        var parity = Parity.Compare(expected, Scores.Softmax(onnxScores, onnx.Classes), onnx.Classes);
        var importance = PermutationImportance(onnx, featurizer, usedIndex, test, testLabels, report.Accuracy, spec.Seed);
        double mlAccuracy = ClassificationReport.ArgMax(expected, labels.Count).Zip(testLabels).Count(p => p.First == p.Second) / (double)Math.Max(1, test.Length);
        // TorchTestAccuracy holds the trained model's own accuracy in its framework: ML.NET's here.
        var metrics = new TrainingMetrics(GradientBoostedTrees.Name, labels, new Normalization(0, 1), train.Length, validation.Length, report, mlAccuracy, parity,
            seconds, record.SamplesPerSecond)
        {
            ColumnImportance = importance,
        };
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Predictions), TestPredictions.FromLogits(testLabels, onnxScores, onnx.Classes) with
        {
            Inputs = [.. test.Select(r => dataset.Describe(r))],
        });
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Metrics), metrics);
        log.WriteLine($"test accuracy {report.Accuracy:F4} (ONNX Runtime, {report.Examples} rows), ML.NET {mlAccuracy:F4}; " +
            $"parity (probabilities): max |diff| {parity.MaxAbsDifference:E2}, {parity.PredictionMismatches} prediction mismatches; {clock.Elapsed.TotalSeconds:F1} s");
        log.WriteLine("permutation importance: " + string.Join(", ", importance.Take(8).Select(i => $"{i.Column} {i.AccuracyDrop:+0.000;-0.000}")));
        return metrics;
    }

    private static (double Loss, double Accuracy) LossAndAccuracy(float[] probabilities, byte[] labels, int classes)
    {
        double loss = 0;
        int correct = 0;
        var predicted = ClassificationReport.ArgMax(probabilities, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            loss -= Math.Log(Math.Max(probabilities[(i * classes) + labels[i]], ConvertedClassifierExport.ProbabilityFloor));
            correct += predicted[i] == labels[i] ? 1 : 0;
        }

        return labels.Length == 0 ? (0, 0) : (loss / labels.Length, correct / (double)labels.Length);
    }

    private static float[] Featurize(TableFeaturizer featurizer, int[] usedIndex, IReadOnlyList<LabeledRow> rows)
    {
        var features = new float[rows.Count * featurizer.FeatureCount];
        var cells = new string?[usedIndex.Length];
        for (int i = 0; i < rows.Count; i++)
        {
            for (int c = 0; c < usedIndex.Length; c++)
            {
                cells[c] = rows[i].Cells[usedIndex[c]];
            }

            try
            {
                featurizer.Featurize(cells, features.AsSpan(i * featurizer.FeatureCount, featurizer.FeatureCount));
            }
            catch (FormatException)
            {
                // A test value training never saw as a number: treated as missing, as serving refuses it only per request.
                for (int c = 0; c < usedIndex.Length; c++)
                {
                    if (featurizer.Columns[c].Type == ColumnType.Number && TableFile.Number(cells[c]) is null)
                    {
                        cells[c] = null;
                    }
                }

                featurizer.Featurize(cells, features.AsSpan(i * featurizer.FeatureCount, featurizer.FeatureCount));
            }
        }

        return features;
    }

    /// <summary>Test accuracy lost when one column's values are shuffled across the test rows (seeded), per column.</summary>
    private static ColumnImportance[] PermutationImportance(OnnxRowScorer onnx, TableFeaturizer featurizer, int[] usedIndex, LabeledRow[] test, byte[] labels, double accuracy, int seed)
    {
        var result = new List<ColumnImportance>();
        for (int c = 0; c < usedIndex.Length; c++)
        {
            var random = new Random(seed + c);
            int[] order = [.. Enumerable.Range(0, test.Length)];
            random.Shuffle(order);
            var shuffled = test.Select((r, i) =>
            {
                var cells = (string?[])r.Cells.Clone();
                cells[usedIndex[c]] = test[order[i]].Cells[usedIndex[c]];
                return r with { Cells = cells };
            }).ToArray();
            float[] scores = onnx.Score(Featurize(featurizer, usedIndex, shuffled), shuffled.Length);
            var predicted = ClassificationReport.ArgMax(scores, onnx.Classes);
            double shuffledAccuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)Math.Max(1, labels.Length);
            result.Add(new ColumnImportance(featurizer.Columns[c].Name, Math.Round(accuracy - shuffledAccuracy, 4)));
        }

        return [.. result.OrderByDescending(r => r.AccuracyDrop)];
    }
}
