using System.Formats.Tar;
using System.IO.Compression;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;

namespace Lepton.Pipeline;

/// <summary>
/// Finds row data (CSV, TSV, JSON lines) in an upload: a table file; a folder or a .zip / .tar.gz archive
/// with <c>train.*</c> and <c>test.*</c>, or with one table file (split by its <c>split</c> column, else
/// a stratified sixth is held out). Files are named in errors by their path inside the upload.
/// </summary>
public static class RowUpload
{
    /// <summary>The training and optional test file of an upload, or null when it holds no row data.</summary>
    public static (TableFile Train, TableFile? Test)? TryRead(string upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        if (File.Exists(upload) && TableFile.IsTableFile(upload))
        {
            return (TableFile.Read(upload, DatasetPreparation.SourceName(upload)), null);
        }

        if (Directory.Exists(upload))
        {
            var files = Directory.EnumerateFiles(upload, "*", SearchOption.AllDirectories).Where(TableFile.IsTableFile)
                .Select(f => (Name: Path.GetRelativePath(upload, f).Replace('\\', '/'), Path: f)).ToArray();
            return Pick(files, (name, path) => TableFile.Read(path, name), upload);
        }

        bool zip = upload.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
        bool tar = upload.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || upload.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
        if (!File.Exists(upload) || !(zip || tar))
        {
            return null;
        }

        // An archive: its table files extracted (by name, never by path) to a temporary folder.
        string temp = Directory.CreateTempSubdirectory("lepton-rows-").FullName;
        try
        {
            var found = new List<(string Name, string Path)>();
            void Take(string name, Func<Stream> open)
            {
                if (!TableFile.IsTableFile(name) || Path.GetFileName(name).StartsWith('.') || name.Contains("__MACOSX", StringComparison.Ordinal))
                {
                    return;
                }

                string target = Path.Combine(temp, $"{found.Count}-{Path.GetFileName(name)}");
                using (var input = open())
                using (var output = File.Create(target))
                {
                    CopyLimited(input, output, name);
                }

                found.Add((name, target));
            }

            try
            {
                if (zip)
                {
                    using var archive = ZipFile.OpenRead(upload);
                    foreach (var entry in archive.Entries.Where(e => e.Name.Length > 0))
                    {
                        Take(entry.FullName, entry.Open);
                    }
                }
                else
                {
                    using var gz = new GZipStream(File.OpenRead(upload), CompressionMode.Decompress);
                    using var reader = new TarReader(gz);
                    while (reader.GetNextEntry() is { } entry)
                    {
                        if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
                        {
                            var copy = new MemoryStream();
                            CopyLimited(data, copy, entry.Name);
                            copy.Position = 0;
                            Take(entry.Name, () => copy);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
            {
                throw new DatasetFormatException(upload, $"corrupt archive ({ex.Message})");
            }

            return Pick([.. found], (name, path) => TableFile.Read(path, name), upload);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static (TableFile Train, TableFile? Test)? Pick((string Name, string Path)[] files, Func<string, string, TableFile> read, string upload)
    {
        if (files.Length == 0)
        {
            return null;
        }

        static bool Named((string Name, string Path) f, string stem) =>
            Path.GetFileNameWithoutExtension(f.Name).Equals(stem, StringComparison.OrdinalIgnoreCase);
        var train = files.Where(f => Named(f, "train")).ToArray();
        var test = files.Where(f => Named(f, "test")).ToArray();
        if (train.Length == 1 && test.Length <= 1)
        {
            return (read(train[0].Name, train[0].Path), test.Length == 1 ? read(test[0].Name, test[0].Path) : null);
        }

        if (files.Length == 1)
        {
            return (read(files[0].Name, files[0].Path), null);
        }

        throw new DatasetFormatException(upload, $"{files.Length} table files ({string.Join(", ", files.Select(f => f.Name).Take(5))}): give one file, or train.* and test.*");
    }

    private static void CopyLimited(Stream input, Stream output, string name)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            total += read;
            if (total > TableFile.MaxBytes)
            {
                throw new DatasetFormatException(name, $"over the limit of {TableFile.MaxBytes:N0} bytes");
            }

            output.Write(buffer, 0, read);
        }
    }
}
