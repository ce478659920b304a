using Lepton.Core.Evaluation;
using Lepton.Core.Registry;

namespace Lepton.Cards;

/// <summary>
/// What a card is made from. Everything but the model is optional: a card shows what exists and says
/// what is missing.
/// </summary>
/// <param name="Model">model.onnx as published.</param>
/// <param name="Description">What the publisher says of it (kind, architecture, labels, manifest metrics).</param>
/// <param name="RunFolder">The trainer's output folder: job.json, history.json, metrics.json, predictions.json, samples.png.</param>
/// <param name="DatasetFolder">The dataset the run trained on (IDX files); default: job.json's <c>data</c> when it exists here.</param>
/// <param name="DatasetVersion">The dataset's version (content hash), when known.</param>
/// <param name="Evaluation">The test-set evaluation the manifest's metrics come from; default: metrics.json's.</param>
/// <param name="Sweep">The sweep the model won (its trials table and a plot of their validation accuracy), when one did.</param>
public sealed record CardSource(
    byte[] Model,
    ModelDescription Description,
    string? RunFolder,
    string? DatasetFolder = null,
    string? DatasetVersion = null,
    ClassificationReport? Evaluation = null,
    Core.Cards.CardSweep? Sweep = null);

/// <summary>A made card: the record and its files (card.json and the PNGs), ready for <see cref="ModelRegistry.PublishAsync(string, Stream, ModelDescription, IReadOnlyDictionary{string, BinaryData}?, CancellationToken)"/>.</summary>
public sealed record CardBundle(Core.Cards.ModelCard Card, IReadOnlyDictionary<string, BinaryData> Files);
