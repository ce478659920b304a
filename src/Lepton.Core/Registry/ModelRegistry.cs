using System.Globalization;
using System.Security.Cryptography;
using Lepton.Core.Cards;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;

namespace Lepton.Core.Registry;

/// <summary>
/// Named models with immutable, numbered versions in an artifact store:
/// <c>models/{name}/versions/{n}/model.onnx</c> and <c>manifest.json</c>, and
/// <c>models/{name}/aliases.json</c> updated by compare-and-swap, so concurrent promotions never lose one.
/// </summary>
public sealed class ModelRegistry(IArtifactStore store, TimeProvider? clock = null)
{
    public const string Container = "models";
    public const string ModelFile = "model.onnx";
    public const string ManifestFile = "manifest.json";
    public const string AliasesFile = "aliases.json";
    public const string DefaultAlias = "production";

    private const int MaxAttempts = 50;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public IArtifactStore Store => store;

    public static string VersionPrefix(string name) => $"{Container}/{name}/versions/";

    public static string ModelPath(string name, int version) => $"{VersionPrefix(name)}{version.ToString(CultureInfo.InvariantCulture)}/{ModelFile}";

    public static string ManifestPath(string name, int version) => $"{VersionPrefix(name)}{version.ToString(CultureInfo.InvariantCulture)}/{ManifestFile}";

    public static string AliasesPath(string name) => $"{Container}/{name}/{AliasesFile}";

    /// <summary>
    /// Publishes <paramref name="model"/> as the next version of <paramref name="name"/>. The model file
    /// is written create-only (a concurrent publisher takes the next number), then the files of its model
    /// card (<paramref name="card"/>, file name to content, under <c>card/</c>), then the manifest; if
    /// anything fails in between, what was written is removed, so no half-published version is visible
    /// and a published version always has the card it was published with.
    /// </summary>
    public async Task<ModelManifest> PublishAsync(string name, Stream model, ModelDescription description, IReadOnlyDictionary<string, BinaryData>? card, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(description);
        if (description.Signature.Check(description.Inputs, description.Outputs) is { Count: > 0 } problems)
        {
            throw new InvalidDataException($"model '{name}': its signature does not fit its tensors: {string.Join("; ", problems)}");
        }

        string? spool = null;
        Stream source = model;
        try
        {
            if (!model.CanSeek)
            {
                spool = Path.GetTempFileName();
                source = new FileStream(spool, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
                await model.CopyToAsync(source, cancellationToken).ConfigureAwait(false);
            }

            source.Position = 0;
            string sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(source, cancellationToken).ConfigureAwait(false));
            long size = source.Length;
            int version = (await LatestVersionNumberAsync(name, cancellationToken).ConfigureAwait(false)) + 1;
            for (int attempt = 0; attempt < MaxAttempts; attempt++, version++)
            {
                source.Position = 0;
                try
                {
                    await store.WriteAsync(ModelPath(name, version), source, WriteCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
                }
                catch (ArtifactConflictException)
                {
                    continue; // someone else took this number
                }

                var manifest = new ModelManifest
                {
                    Name = name,
                    Version = version,
                    CreatedAt = _clock.GetUtcNow(),
                    Architecture = description.Architecture,
                    Inputs = description.Inputs,
                    Outputs = description.Outputs,
                    Labels = description.Signature.Output.Labels,
                    Normalization = description.Normalization,
                    Metrics = description.Metrics,
                    DatasetVersion = description.DatasetVersion,
                    RunId = description.RunId,
                    Sweep = description.Sweep,
                    Sha256 = sha256,
                    SizeBytes = size,
                    Opset = description.Opset,
                    FineTuned = description.FineTuned,
                    Kind = description.Signature.Kind,
                    LatentSize = description.Signature.Input.LatentSize,
                    Signature = description.Signature,
                };
                var written = new List<string> { ModelPath(name, version) };
                try
                {
                    foreach (var (file, content) in card ?? new Dictionary<string, BinaryData>())
                    {
                        string path = CardFiles.PathOf(name, version, file);
                        written.Add(path);
                        await store.WriteAsync(path, content.ToStream(), null, cancellationToken).ConfigureAwait(false);
                    }

                    using var json = new MemoryStream(BinaryData.FromString(LeptonJson.Serialize(manifest)).ToArray());
                    await store.WriteAsync(ManifestPath(name, version), json, WriteCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    foreach (string path in written)
                    {
                        await store.DeleteAsync(path, CancellationToken.None).ConfigureAwait(false);
                    }

                    throw;
                }

                return manifest;
            }

            throw new InvalidOperationException($"could not publish '{name}': {MaxAttempts} version numbers in a row were taken");
        }
        finally
        {
            if (spool is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes a version without a model card.</summary>
    public Task<ModelManifest> PublishAsync(string name, Stream model, ModelDescription description, CancellationToken cancellationToken = default) =>
        PublishAsync(name, model, description, null, cancellationToken);

    /// <summary>The stored card of a version, or null when it has none (published before cards, or without one).</summary>
    public async Task<ModelCard?> GetCardAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        string path = CardFiles.PathOf(name, version, CardFiles.CardFile);
        var content = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return content is null ? null : Parse<ModelCard>(content, path, $"the card of model '{name}' version {version}");
    }

    /// <summary>One file of a version's card, or null when there is none.</summary>
    public async Task<BinaryData?> GetCardFileAsync(string name, int version, string file, CancellationToken cancellationToken = default)
    {
        var content = await store.ReadAsync(CardFiles.PathOf(name, version, file), cancellationToken).ConfigureAwait(false);
        return content?.Data;
    }

    /// <summary>The names of every model with at least one published version.</summary>
    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (string path in store.ListAsync(Container + "/", cancellationToken).ConfigureAwait(false))
        {
            string[] parts = path.Split('/');
            if (parts.Length == 5 && parts[2] == "versions" && parts[4] == ManifestFile)
            {
                names.Add(parts[1]);
            }
        }

        return names.ToArray();
    }

    /// <summary>The published versions of a model, oldest first (empty when there are none).</summary>
    public async Task<IReadOnlyList<int>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        var versions = new List<int>();
        string prefix = VersionPrefix(name);
        await foreach (string path in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            string[] rest = path[prefix.Length..].Split('/');
            if (rest.Length == 2 && rest[1] == ManifestFile && int.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            {
                versions.Add(v);
            }
        }

        versions.Sort();
        return versions;
    }

    /// <summary>
    /// The version published from the run <paramref name="runId"/>, newest first, or null: what makes
    /// publishing a run idempotent (a run's id names its data and settings).
    /// </summary>
    public async Task<ModelManifest?> FindByRunAsync(string name, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        foreach (int version in (await ListVersionsAsync(name, cancellationToken).ConfigureAwait(false)).Reverse())
        {
            var manifest = await GetManifestAsync(name, version, cancellationToken).ConfigureAwait(false);
            if (string.Equals(manifest.RunId, runId, StringComparison.Ordinal))
            {
                return manifest;
            }
        }

        return null;
    }

    public async Task<ModelManifest> GetManifestAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        var content = await store.ReadAsync(ManifestPath(name, version), cancellationToken).ConfigureAwait(false)
            ?? throw new ModelNotFoundException($"model '{name}' has no version {version}");
        return Parse<ModelManifest>(content, ManifestPath(name, version), $"model '{name}' version {version}");
    }

    /// <summary>A model's aliases with their history and every version's manifest, oldest first.</summary>
    public async Task<ModelDetails> GetModelAsync(string name, CancellationToken cancellationToken = default)
    {
        var versions = await ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0)
        {
            throw new ModelNotFoundException($"model '{name}' not found");
        }

        var manifests = new List<ModelManifest>(versions.Count);
        foreach (int v in versions)
        {
            manifests.Add(await GetManifestAsync(name, v, cancellationToken).ConfigureAwait(false));
        }

        var aliases = await GetAliasesAsync(name, cancellationToken).ConfigureAwait(false);
        return new ModelDetails(name, aliases.Aliases, aliases.History, manifests);
    }

    public async Task<AliasDocument> GetAliasesAsync(string name, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        return (await ReadAliasesAsync(name, cancellationToken).ConfigureAwait(false)).Document;
    }

    /// <summary>
    /// Resolves a request to a version: an explicit version, else an alias (default: production), else,
    /// when the model has no aliases at all, its latest version.
    /// </summary>
    public async Task<int> ResolveAsync(string name, int? version = null, string? alias = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        if (version is int v)
        {
            _ = await GetManifestAsync(name, v, cancellationToken).ConfigureAwait(false);
            return v;
        }

        if (alias is not null)
        {
            RegistryNames.ValidateAlias(alias);
        }

        var aliases = await GetAliasesAsync(name, cancellationToken).ConfigureAwait(false);
        string wanted = alias ?? DefaultAlias;
        if (aliases.Aliases.TryGetValue(wanted, out int aliased))
        {
            return aliased;
        }

        var versions = await ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0)
        {
            throw new ModelNotFoundException($"model '{name}' not found");
        }

        if (alias is null && aliases.Aliases.Count == 0)
        {
            return versions[^1];
        }

        throw new ModelNotFoundException($"model '{name}' has no alias '{wanted}'");
    }

    /// <summary>Points an alias at a version (promotion; rollback is a promotion to an older version).</summary>
    public Task<AliasDocument> SetAliasAsync(string name, string alias, int version, CancellationToken cancellationToken = default) =>
        SetAliasAsync(name, alias, version, AliasExpectation.Any, cancellationToken);

    /// <summary>
    /// Points <paramref name="alias"/> at <paramref name="version"/> if the alias is where
    /// <paramref name="expected"/> says (compare-and-swap on the alias document's ETag).
    /// </summary>
    /// <exception cref="AliasMovedException">The alias points elsewhere now (someone promoted meanwhile).</exception>
    public async Task<AliasDocument> SetAliasAsync(string name, string alias, int version, AliasExpectation expected, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        RegistryNames.ValidateAlias(alias);
        _ = await GetManifestAsync(name, version, cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (current, etag) = await ReadAliasesAsync(name, cancellationToken).ConfigureAwait(false);
            int? previous = current.Aliases.TryGetValue(alias, out int p) ? p : null;
            if (!expected.IsMetBy(previous))
            {
                throw new AliasMovedException(name, alias, expected.Version, previous);
            }

            var aliases = new SortedDictionary<string, int>(current.Aliases.ToDictionary(), StringComparer.Ordinal) { [alias] = version };
            var updated = new AliasDocument
            {
                Aliases = aliases,
                History = [.. current.History, new AliasChange(alias, version, previous, _clock.GetUtcNow())],
            };
            using var json = new MemoryStream(BinaryData.FromString(LeptonJson.Serialize(updated)).ToArray());
            try
            {
                await store.WriteAsync(AliasesPath(name), json, etag is null ? WriteCondition.IfNotExists : WriteCondition.IfMatch(etag), cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (ArtifactConflictException)
            {
                await Task.Delay(Random.Shared.Next(1, 5 + (attempt * 5)), cancellationToken).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"could not update the aliases of '{name}': too much contention");
    }

    /// <summary>Opens a version's model file for reading.</summary>
    public Task<Stream> OpenModelAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        return store.OpenReadAsync(ModelPath(name, version), cancellationToken);
    }

    /// <summary>The ETag of the alias document (null when there is none): a cheap way to notice promotions.</summary>
    public async Task<string?> GetAliasesETagAsync(string name, CancellationToken cancellationToken = default) =>
        (await store.GetInfoAsync(AliasesPath(name), cancellationToken).ConfigureAwait(false))?.ETag;

    private async Task<int> LatestVersionNumberAsync(string name, CancellationToken cancellationToken)
    {
        int latest = 0;
        string prefix = VersionPrefix(name);
        await foreach (string path in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            string folder = path[prefix.Length..].Split('/')[0];
            if (int.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            {
                latest = Math.Max(latest, v);
            }
        }

        return latest;
    }

    private async Task<(AliasDocument Document, string? ETag)> ReadAliasesAsync(string name, CancellationToken cancellationToken)
    {
        var content = await store.ReadAsync(AliasesPath(name), cancellationToken).ConfigureAwait(false);
        return content is null
            ? (new AliasDocument(), null)
            : (Parse<AliasDocument>(content, AliasesPath(name), $"the aliases of model '{name}'"), content.Info.ETag);
    }

    private static T Parse<T>(ArtifactContent content, string path, string what)
    {
        try
        {
            return LeptonJson.Deserialize<T>(content.Data.ToString(), path);
        }
        catch (InvalidDataException ex)
        {
            throw new RegistryDataException($"{what} cannot be read ({ex.Message})", ex);
        }
    }
}
