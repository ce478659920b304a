using System.Globalization;
using System.IO.Compression;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Activities;

namespace Lepton.Pipeline.Batch;

/// <summary>Input of <see cref="PlanBatchActivity"/>.</summary>
public sealed record PlanBatchInput(string JobId, BatchRequest Request);

/// <summary>
/// Resolves the version (what the alias points to now), reads the input's images in name order and writes
/// them to the store as chunk zips (a chunk already there is kept: a resumed job plans the same chunks).
/// </summary>
public sealed class PlanBatchActivity(ModelRuntime runtime, PipelineWorkspace workspace) : PipelineActivity<PlanBatchInput, BatchPlan>
{
    /// <summary>The extensions read as images; other files are left out.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg" };

    /// <summary>The most bytes one input may have.</summary>
    public const long MaxImageBytes = 32L * 1024 * 1024;

    public override async Task<BatchPlan> ExecuteAsync(PlanBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var request = input.Request;
        int version = await runtime.ResolveAsync(request.ModelName, request.Version, request.Alias).ConfigureAwait(false);
        string local = BatchPaths.IsStoredInput(request.Input) ? await workspace.DownloadToWorkAsync(request.Input).ConfigureAwait(false) : request.Input;
        var names = ListImages(local);
        using var zipInput = Directory.Exists(local) ? null : ZipFile.OpenRead(local); // opened once for every image
        var chunks = new List<string>();
        for (int start = 0, index = 0; start < names.Count; start += request.ChunkSize, index++)
        {
            string path = BatchPaths.Chunk(input.JobId, index);
            chunks.Add(path);
            if (await workspace.Store.GetInfoAsync(path).ConfigureAwait(false) is not null)
            {
                continue; // planned before this job was resumed
            }

            using var zip = new MemoryStream();
            using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (string name in names.Skip(start).Take(request.ChunkSize))
                {
                    var entry = archive.CreateEntry(name, CompressionLevel.NoCompression);
                    await using var target = entry.Open();
                    await using var source = Open(local, zipInput, name);
                    await source.CopyToAsync(target).ConfigureAwait(false);
                }
            }

            zip.Position = 0;
            try
            {
                await workspace.Store.WriteAsync(path, zip, WriteCondition.IfNotExists).ConfigureAwait(false);
            }
            catch (ArtifactConflictException)
            {
                // written meanwhile by another attempt: the same chunk
            }
        }

        return new BatchPlan(input.JobId, request.ModelName, version, names.Count, chunks);
    }

    /// <summary>The image names of a folder (relative, '/'-separated) or a .zip, in ordinal order.</summary>
    public static IReadOnlyList<string> ListImages(string input)
    {
        if (Directory.Exists(input))
        {
            return Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .Select(f => Path.GetRelativePath(input, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal)
                .ToArray();
        }

        if (File.Exists(input) && input.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            using var archive = ZipFile.OpenRead(input);
            return archive.Entries
                .Where(e => e.Length > 0 && ImageExtensions.Contains(Path.GetExtension(e.FullName)))
                .Select(e => e.FullName)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
        }

        throw new Core.Data.DatasetFormatException(input, "batch input not found: give a folder or a .zip of PNG or JPEG images");
    }

    private static Stream Open(string folder, ZipArchive? archive, string name)
    {
        if (archive is null)
        {
            var file = new FileInfo(Path.Combine(folder, name));
            return file.Length <= MaxImageBytes ? file.OpenRead() : new MemoryStream(); // an over-size input is recorded as undecodable
        }

        var entry = archive.GetEntry(name)!;
        return entry.Length <= MaxImageBytes ? entry.Open() : new MemoryStream();
    }
}

/// <summary>
/// Scores one chunk: each image decoded as the model's signature says and predicted; an image that cannot
/// be decoded is a line with its error, never the chunk's failure. The chunk's results are written once
/// (create-only): a chunk scored before a crash is read back, not scored again.
/// </summary>
public sealed class ScoreBatchChunkActivity(ModelRuntime runtime, IArtifactStore store) : PipelineActivity<BatchChunkInput, BatchChunkResult>
{
    /// <summary>The classes each line lists.</summary>
    public const int TopK = 3;

    /// <summary>Pictures per session run.</summary>
    public const int PredictBatch = 64;

    public override async Task<BatchChunkResult> ExecuteAsync(BatchChunkInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string resultsPath = BatchPaths.ChunkResults(input.JobId, input.Index);
        if (await store.ReadAsync(resultsPath).ConfigureAwait(false) is { } done)
        {
            return Summarize(input.Index, done.Data.ToString());
        }

        var lines = new StringBuilder();
        await runtime.UseAsync(input.ModelName, input.Version, async model =>
        {
            RequireClassifier(model);
            await using var zipStream = await store.OpenReadAsync(input.Chunk).ConfigureAwait(false);
            using var buffered = new MemoryStream();
            await zipStream.CopyToAsync(buffered).ConfigureAwait(false);
            buffered.Position = 0;
            using var archive = new ZipArchive(buffered, ZipArchiveMode.Read);
            var labels = model.Signature.Output.Labels;
            var inputs = new List<(string Name, byte[] Data)>(archive.Entries.Count);
            foreach (var entry in archive.Entries)
            {
                using var copy = new MemoryStream();
                await using (var source = entry.Open())
                {
                    await source.CopyToAsync(copy).ConfigureAwait(false);
                }

                inputs.Add((entry.FullName, copy.ToArray()));
            }

            // Decoded on every core; a picture that cannot be decoded keeps its error for its line.
            var pixels = new float[]?[inputs.Count];
            var errors = new string?[inputs.Count];
            var spec = model.ImageInput;
            Parallel.For(0, inputs.Count, i =>
            {
                try
                {
                    pixels[i] = ImageDecoder.Decode(inputs[i].Data, spec, runtime.Options.Inversion, runtime.Options.MaxImagePixels);
                }
                catch (InputException bad)
                {
                    errors[i] = bad.Message;
                }
            });

            // Scored in batches (one session run for up to PredictBatch pictures), the lines in the chunk's order.
            var probabilities = new float[]?[inputs.Count];
            int[] decoded = [.. Enumerable.Range(0, inputs.Count).Where(i => pixels[i] is not null)];
            for (int start = 0; start < decoded.Length; start += PredictBatch)
            {
                int[] batch = decoded[start..Math.Min(decoded.Length, start + PredictBatch)];
                float[] logits = await model.PredictAsync([.. batch.SelectMany(i => pixels[i]!)], batch.Length).ConfigureAwait(false);
                for (int k = 0; k < batch.Length; k++)
                {
                    probabilities[batch[k]] = Scores.Softmax(logits.AsSpan(k * model.Classes, model.Classes), model.Classes);
                }
            }

            for (int i = 0; i < inputs.Count; i++)
            {
                BatchResultLine line;
                if (probabilities[i] is { } p)
                {
                    var top = Scores.TopK(p, TopK).Select(c => new BatchTopClass(Label(labels, c), Math.Round(p[c], 6))).ToArray();
                    line = new BatchResultLine(inputs[i].Name, top[0].Label, top[0].Probability, top, null);
                }
                else
                {
                    line = new BatchResultLine(inputs[i].Name, null, null, null, errors[i]);
                }

                lines.Append(System.Text.Json.JsonSerializer.Serialize(line, JsonLines)).Append('\n');
            }

            return 0;
        }).ConfigureAwait(false);

        string text = lines.ToString();
        try
        {
            await store.WriteAsync(resultsPath, new MemoryStream(Encoding.UTF8.GetBytes(text)), WriteCondition.IfNotExists).ConfigureAwait(false);
        }
        catch (ArtifactConflictException)
        {
            text = (await store.ReadAsync(resultsPath).ConfigureAwait(false))!.Data.ToString(); // another attempt finished first: its lines stand
        }

        return Summarize(input.Index, text);
    }

    /// <summary>Compact JSON lines, nulls left out.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions JsonLines = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static void RequireClassifier(LoadedModel model)
    {
        if (model.Signature.Kind != ModelKind.Classifier)
        {
            throw new InvalidOperationException($"model '{model.Manifest.Name}' version {model.Manifest.Version} is a {model.Signature.Kind.ToString().ToLowerInvariant()}: batch scoring takes classifiers");
        }
    }

    private static string Label(IReadOnlyList<string> labels, int c) => c < labels.Count ? labels[c] : c.ToString(CultureInfo.InvariantCulture);

    /// <summary>Counts of a chunk's lines.</summary>
    public static BatchChunkResult Summarize(int index, string jsonLines)
    {
        var perLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<BatchFailure>();
        int scored = 0;
        foreach (string text in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = System.Text.Json.JsonSerializer.Deserialize<BatchResultLine>(text, JsonLines)!;
            if (line.Error is not null)
            {
                failures.Add(new BatchFailure(line.Input, line.Error));
                continue;
            }

            scored++;
            perLabel[line.Label!] = perLabel.GetValueOrDefault(line.Label!) + 1;
        }

        return new BatchChunkResult(index, scored, perLabel, failures);
    }
}

/// <summary>Input of <see cref="MergeBatchActivity"/>.</summary>
public sealed record MergeBatchInput(BatchPlan Plan, IReadOnlyList<BatchChunkResult> Chunks);

/// <summary>Writes <c>results.jsonl</c> (the chunks' lines in order: every input once) and <c>summary.json</c>.</summary>
public sealed class MergeBatchActivity(IArtifactStore store) : PipelineActivity<MergeBatchInput, BatchSummary>
{
    public override async Task<BatchSummary> ExecuteAsync(MergeBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var plan = input.Plan;
        using var merged = new MemoryStream();
        for (int i = 0; i < plan.Chunks.Count; i++)
        {
            await using var part = await store.OpenReadAsync(BatchPaths.ChunkResults(plan.JobId, i)).ConfigureAwait(false);
            await part.CopyToAsync(merged).ConfigureAwait(false);
        }

        merged.Position = 0;
        await store.WriteAsync(BatchPaths.Results(plan.JobId), merged).ConfigureAwait(false);
        var perLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (label, count) in input.Chunks.SelectMany(c => c.PerLabel))
        {
            perLabel[label] = perLabel.GetValueOrDefault(label) + count;
        }

        var summary = new BatchSummary(plan.JobId, plan.ModelName, plan.Version, plan.Inputs, input.Chunks.Sum(c => c.Scored), perLabel,
            [.. input.Chunks.OrderBy(c => c.Index).SelectMany(c => c.Failures)], BatchPaths.Results(plan.JobId));
        await store.WriteAsync(BatchPaths.Summary(plan.JobId), new MemoryStream(Encoding.UTF8.GetBytes(LeptonJson.Serialize(summary)))).ConfigureAwait(false);
        return summary;
    }
}
