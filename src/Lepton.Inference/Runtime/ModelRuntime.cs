using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Lepton.Core.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Lepton.Inference.Runtime;

/// <summary>The model file does not match its manifest: it is refused, never served.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// Serves model versions from a registry: resolves aliases (trusting a resolution for a short while,
/// so a promotion is noticed without a restart), loads each version once after checking its SHA-256
/// against the manifest, and unloads the least recently used beyond the configured count.
/// </summary>
public sealed partial class ModelRuntime(ModelRegistry registry, InferenceOptions options, TimeProvider? clock = null, ILogger<ModelRuntime>? logger = null) : IDisposable
{
    private readonly ConcurrentDictionary<(string Name, int Version), Lazy<Task<LoadedModel>>> _loaded = new();
    private readonly ConcurrentDictionary<(string Name, int Version), long> _lastUsed = new();
    private readonly ConcurrentDictionary<(string Name, string? Alias), (int Version, DateTimeOffset Until)> _aliases = new();
    private readonly ConcurrentDictionary<(string Name, int Version), (ExceptionDispatchInfo Failure, DateTimeOffset Until)> _failed = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger<ModelRuntime>.Instance;
    private long _useCounter;

    public ModelRegistry Registry => registry;

    public InferenceOptions Options => options;

    /// <summary>The bound on concurrent image decodes (<see cref="InferenceOptions.MaxConcurrentDecodes"/>).</summary>
    public Decoding.DecodeGate Decodes { get; } = new(options.MaxConcurrentDecodes);

    /// <summary>The version a request means: explicit, else the alias (default production), cached briefly.</summary>
    public async Task<int> ResolveAsync(string name, int? version, string? alias, CancellationToken cancellationToken = default)
    {
        if (version is int v)
        {
            return _loaded.ContainsKey((name, v)) ? v : await registry.ResolveAsync(name, v, null, cancellationToken).ConfigureAwait(false);
        }

        var key = (name, alias);
        var now = _clock.GetUtcNow();
        if (_aliases.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Version;
        }

        int resolved = await registry.ResolveAsync(name, null, alias, cancellationToken).ConfigureAwait(false);
        _aliases[key] = (resolved, now + options.AliasCacheDuration);
        return resolved;
    }

    /// <summary>Runs <paramref name="use"/> with the loaded model of a version; the model stays loaded meanwhile.</summary>
    public async Task<T> UseAsync<T>(string name, int version, Func<LoadedModel, Task<T>> use, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        for (int attempt = 0; ; attempt++)
        {
            var model = await GetAsync(name, version, cancellationToken).ConfigureAwait(false);
            if (!model.TryAcquire())
            {
                if (attempt > 10)
                {
                    throw new InvalidOperationException($"model '{name}' version {version} keeps being unloaded");
                }

                continue; // unloaded between lookup and use: load again
            }

            try
            {
                return await use(model).ConfigureAwait(false);
            }
            finally
            {
                model.Release();
            }
        }
    }

    /// <summary>The loaded model of a version, loading (and verifying) it on first use.</summary>
    public async Task<LoadedModel> GetAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var key = (name, version);
        _lastUsed[key] = Interlocked.Increment(ref _useCounter);
        if (_loaded.TryGetValue(key, out var existing) && existing.Value.IsCompletedSuccessfully)
        {
            return existing.Value.Result; // the hot path: no locks beyond the lookup
        }

        if (_failed.TryGetValue(key, out var failed))
        {
            if (failed.Until > _clock.GetUtcNow())
            {
                failed.Failure.Throw(); // a version that just failed to load is not loaded again on every request
            }

            _failed.TryRemove(new KeyValuePair<(string, int), (ExceptionDispatchInfo, DateTimeOffset)>(key, failed));
        }

        var lazy = _loaded.GetOrAdd(key, k => new Lazy<Task<LoadedModel>>(() => LoadAsync(k.Name, k.Version)));
        try
        {
            var model = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            EvictBeyondCapacity(); // only a load can take the cache over its capacity
            return model;
        }
        catch (Exception ex) when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            if (ex is ModelIntegrityException && options.FailedLoadCacheDuration > TimeSpan.Zero)
            {
                _failed[key] = (ExceptionDispatchInfo.Capture(ex), _clock.GetUtcNow() + options.FailedLoadCacheDuration);
            }

            _loaded.TryRemove(new KeyValuePair<(string, int), Lazy<Task<LoadedModel>>>(key, lazy));
            throw;
        }
    }

    /// <summary>Why a version failed to load, while that failure is remembered (null otherwise).</summary>
    public string? RecentFailure(string name, int version) =>
        _failed.TryGetValue((name, version), out var failed) && failed.Until > _clock.GetUtcNow() ? failed.Failure.SourceException.Message : null;

    /// <summary>How many versions are loaded now.</summary>
    public int LoadedCount => _loaded.Count(kv => kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully);

    private async Task<LoadedModel> LoadAsync(string name, int version)
    {
        var manifest = await registry.GetManifestAsync(name, version).ConfigureAwait(false);
        byte[] bytes;
        Stream stream;
        try
        {
            stream = await registry.OpenModelAsync(name, version).ConfigureAwait(false);
        }
        catch (Core.Storage.ArtifactNotFoundException)
        {
            throw new ModelIntegrityException($"model '{name}' version {version} is not served: its model file is missing from the store");
        }

        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream(manifest.SizeBytes > 0 && manifest.SizeBytes < int.MaxValue ? (int)manifest.SizeBytes : 0);
            await stream.CopyToAsync(buffer).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }

        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            LogIntegrityFailure(name, version, manifest.Sha256, actual);
            throw new ModelIntegrityException(
                $"model '{name}' version {version} is not served: its file's SHA-256 is {actual}, the manifest says {manifest.Sha256}");
        }

        LoadedModel model;
        try
        {
            model = new LoadedModel(manifest, bytes, options);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            LogUnloadable(ex, name, version);
            throw new ModelIntegrityException($"model '{name}' version {version} is not served: ONNX Runtime cannot load its file ({ex.GetType().Name})");
        }

        LogLoaded(name, version, bytes.Length);
        return model;
    }

    private void EvictBeyondCapacity()
    {
        while (_loaded.Count > Math.Max(1, options.MaxLoadedModels))
        {
            var victim = _lastUsed.Where(kv => _loaded.ContainsKey(kv.Key)).OrderBy(kv => kv.Value).Select(kv => kv.Key).FirstOrDefault();
            if (victim == default || !_loaded.TryRemove(victim, out var lazy))
            {
                return;
            }

            _lastUsed.TryRemove(victim, out _);
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Retire();
                LogUnloaded(victim.Name, victim.Version);
            }
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _loaded.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Dispose();
            }
        }

        _loaded.Clear();
        Decodes.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Name} version {Version} ({Bytes} bytes)")]
    private partial void LogLoaded(string name, int version, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refusing model {Name} version {Version}: ONNX Runtime cannot load it")]
    private partial void LogUnloadable(Exception exception, string name, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloaded model {Name} version {Version}")]
    private partial void LogUnloaded(string name, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refusing model {Name} version {Version}: SHA-256 {Actual} does not match the manifest's {Expected}")]
    private partial void LogIntegrityFailure(string name, int version, string expected, string actual);
}
