using System.Collections.Concurrent;
using System.IO.Compression;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;

namespace Lepton.Pipeline.Batch;

/// <summary>
/// A job's inputs, read where they are: the pictures of a folder or a .zip (names in ordinal order) or
/// the rows of a table file (file order, each named <c>line N</c>). Chunks are ranges of this order, so
/// nothing is copied before scoring; <see cref="Open"/> keeps the listings of the last few jobs of this
/// process, so the chunks of one job list (or parse) the input once.
/// </summary>
public sealed class BatchInputs
{
    /// <summary>The most bytes one picture may have (a larger one is recorded as undecodable).</summary>
    public const long MaxImageBytes = 32L * 1024 * 1024;

    private static readonly ConcurrentDictionary<string, Lazy<BatchInputs>> Cache = new(StringComparer.Ordinal);

    private BatchInputs(string path, BatchInputKind kind, IReadOnlyList<string> names, TableFile? table)
    {
        Path = path;
        Kind = kind;
        Names = names;
        Table = table;
    }

    /// <summary>The local folder or file.</summary>
    public string Path { get; }

    public BatchInputKind Kind { get; }

    /// <summary>Each input's name, in the job's order (for rows: <c>line N</c>).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The rows, for <see cref="BatchInputKind.Rows"/>.</summary>
    public TableFile? Table { get; }

    public int Count => Names.Count;

    /// <summary>What a local input holds: rows for a table file, else pictures (a folder or a .zip).</summary>
    public static BatchInputKind KindOf(string path) =>
        File.Exists(path) && TableFile.IsTableFile(path) ? BatchInputKind.Rows : BatchInputKind.Images;

    /// <summary>
    /// The inputs of a local folder or file for job <paramref name="jobId"/>, listed (or parsed) once per job in
    /// this process (the job's id covers the input's content, so another content is another job and another listing).
    /// </summary>
    public static BatchInputs Open(string path, string jobId)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(jobId);
        string key = $"{jobId}|{System.IO.Path.GetFullPath(path)}";
        if (Cache.Count > 8)
        {
            Cache.Clear(); // a few jobs' listings at most
        }

        var lazy = Cache.GetOrAdd(key, _ => new Lazy<BatchInputs>(() => Read(path)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(key, out _);
            throw;
        }
    }

    private static BatchInputs Read(string path)
    {
        if (KindOf(path) == BatchInputKind.Rows)
        {
            var table = TableFile.Read(path, System.IO.Path.GetFileName(path));
            return new BatchInputs(path, BatchInputKind.Rows, [.. table.Rows.Select(r => $"line {r.Line}")], table);
        }

        return new BatchInputs(path, BatchInputKind.Images, ListImages(path), null);
    }

    /// <summary>The image names of a folder (relative, '/'-separated) or a .zip, in ordinal order.</summary>
    public static IReadOnlyList<string> ListImages(string input)
    {
        if (Directory.Exists(input))
        {
            return Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                .Where(ImageFolders.IsImage)
                .Select(f => System.IO.Path.GetRelativePath(input, f).Replace(System.IO.Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal)
                .ToArray();
        }

        if (File.Exists(input) && input.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            using var archive = ZipFile.OpenRead(input);
            return archive.Entries
                .Where(e => e.Length > 0 && ImageFolders.IsImage(e.FullName))
                .Select(e => e.FullName)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
        }

        throw new DatasetFormatException(input, "batch input not found: give a folder or a .zip of PNG or JPEG images, or a table file (.csv, .tsv, .jsonl) of rows");
    }

    /// <summary>
    /// The bytes of the pictures <c>[start, start + count)</c>, read in place (the .zip opened once); an
    /// over-size picture is empty, so that it is recorded as undecodable.
    /// </summary>
    public IReadOnlyList<byte[]> ReadImages(int start, int count)
    {
        var bytes = new byte[count][];
        if (Directory.Exists(Path))
        {
            Parallel.For(0, count, i =>
            {
                var file = new FileInfo(System.IO.Path.Combine(Path, Names[start + i]));
                bytes[i] = file.Length <= MaxImageBytes ? File.ReadAllBytes(file.FullName) : [];
            });
            return bytes;
        }

        using var archive = ZipFile.OpenRead(Path);
        for (int i = 0; i < count; i++)
        {
            var entry = archive.GetEntry(Names[start + i])!;
            if (entry.Length > MaxImageBytes)
            {
                bytes[i] = [];
                continue;
            }

            try
            {
                using var source = entry.Open();
                var copy = new byte[entry.Length];
                source.ReadExactly(copy);
                bytes[i] = copy;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
            {
                bytes[i] = []; // a damaged entry: recorded as undecodable
            }
        }

        return bytes;
    }
}
