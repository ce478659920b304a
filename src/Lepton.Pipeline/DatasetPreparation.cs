using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Data.Tables;

namespace Lepton.Pipeline;

/// <summary>
/// Turns an upload (a dataset folder, or a .zip / .tar.gz archive holding the four IDX files and an
/// optional labels.txt, or image folders: see <see cref="ImageFolders"/>) into the canonical dataset folder the trainer reads, identified by the SHA-256
/// of the content (the dataset version): the same data always gets the same version and is prepared once.
/// </summary>
public static class DatasetPreparation
{
    private static readonly string[] Files = [MnistDataset.TrainImages, MnistDataset.TrainLabels, MnistDataset.TestImages, MnistDataset.TestLabels];

    /// <summary>The dataset version of an upload, without preparing it.</summary>
    public static string ComputeVersion(string upload, string? sourceName = null, ImageFolderOptions? images = null, TableOptions? tables = null)
    {
        if (RowUpload.TryRead(upload) is { } rows)
        {
            string staging = Directory.CreateTempSubdirectory("lepton-rows-").FullName;
            try
            {
                TabularDataset.Build(rows.Train, rows.Test, tables ?? new TableOptions()).Write(staging);
                return TabularDataset.ContentVersion(staging);
            }
            finally
            {
                DeleteQuietly(staging);
            }
        }

        string folder = Unpack(upload, images, out string? temp);
        try
        {
            return Version(folder, MnistDataset.LabelNamesOf(folder, sourceName ?? SourceName(upload)));
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// Validates the upload and writes (once per version) <c>{work}/prepared/{version}</c>, with the class
    /// names decided once (<see cref="MnistDataset.LabelNamesOf"/>, from <paramref name="sourceName"/>: the
    /// name the user gave the data, by default the upload's file or folder name) in its labels.txt, and
    /// how pictures become its images (<see cref="MnistDataset.ImageFile"/>; image folders are prepared
    /// by <see cref="ImageFolders"/> with <paramref name="images"/>) in its image.json.
    /// </summary>
    public static PreparedDataset Prepare(string upload, string workFolder, string? sourceName = null, ImageFolderOptions? images = null, TableOptions? tables = null)
    {
        if (RowUpload.TryRead(upload) is { } rows)
        {
            return PrepareRows(rows.Train, rows.Test, workFolder, tables ?? new TableOptions());
        }

        string folder = Unpack(upload, images, out string? temp);
        try
        {
            var labels = MnistDataset.LabelNamesOf(folder, sourceName ?? SourceName(upload));
            string version = Version(folder, labels);
            var dataset = MnistDataset.Load(folder, labels); // validates: a bad upload stops here, with the file and the problem
            string skippedPath = Path.Combine(folder, ImageFolders.SkippedFile);
            string[] skipped = File.Exists(skippedPath) ? File.ReadAllLines(skippedPath) : [];
            string target = Path.Combine(Path.GetFullPath(workFolder), "prepared", version);
            bool reused = File.Exists(Path.Combine(target, "dataset.json"));
            if (!reused)
            {
                string staging = target + ".tmp-" + Guid.NewGuid().ToString("N");
                Directory.CreateDirectory(staging);
                foreach (string name in Files)
                {
                    using var input = OpenMaybeGzip(MnistDataset.FindFile(folder, name)!);
                    using var output = new GZipStream(File.Create(Path.Combine(staging, name + ".gz")), CompressionLevel.Fastest);
                    input.CopyTo(output);
                }

                File.WriteAllLines(Path.Combine(staging, MnistDataset.LabelsFile), dataset.LabelNames);
                LeptonJson.WriteFile(Path.Combine(staging, MnistDataset.ImageFile), dataset.Image);
                LeptonJson.WriteFile(Path.Combine(staging, "dataset.json"), new
                {
                    version,
                    trainExamples = dataset.Train.Count,
                    testExamples = dataset.Test.Count,
                    channels = dataset.Image.Shape.Channels,
                    rows = dataset.Train.Images.Rows,
                    columns = dataset.Train.Images.Columns,
                    resize = dataset.Image.Resize,
                    polarity = dataset.Image.Polarity,
                    labels = dataset.LabelNames,
                    skipped,
                });
                try
                {
                    Directory.Move(staging, target);
                }
                catch (IOException) when (Directory.Exists(target))
                {
                    Directory.Delete(staging, recursive: true); // prepared concurrently: same content
                    reused = true;
                }
            }

            return new PreparedDataset(version, target, dataset.Train.Count, dataset.Test.Count, dataset.LabelNames, reused) { Skipped = skipped };
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// Row data (CSV, TSV, JSON lines): validated and typed by <see cref="TabularDataset.Build"/>, written
    /// in its canonical form, named by the SHA-256 of that form (so the same rows with the same label column
    /// and task are one version however they were laid out).
    /// </summary>
    private static PreparedDataset PrepareRows(TableFile train, TableFile? test, string workFolder, TableOptions options)
    {
        var dataset = TabularDataset.Build(train, test, options);
        string prepared = Path.Combine(Path.GetFullPath(workFolder), "prepared");
        Directory.CreateDirectory(prepared);
        string staging = Path.Combine(prepared, ".tmp-" + Guid.NewGuid().ToString("N"));
        dataset.Write(staging);
        string version = TabularDataset.ContentVersion(staging);
        var schema = dataset.Schema;
        File.WriteAllLines(Path.Combine(staging, MnistDataset.LabelsFile), schema.Labels);
        LeptonJson.WriteFile(Path.Combine(staging, "dataset.json"), new
        {
            version,
            task = schema.Task,
            trainExamples = dataset.Train.Count,
            testExamples = dataset.Test.Count,
            labelColumn = schema.LabelColumn,
            textColumn = schema.TextColumn,
            columns = schema.Columns.Select(c => new { c.Name, c.Type, c.Missing }),
            labels = schema.Labels,
        });
        string target = Path.Combine(prepared, version);
        bool reused = File.Exists(Path.Combine(target, "dataset.json"));
        if (reused)
        {
            DeleteQuietly(staging);
        }
        else
        {
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                DeleteQuietly(staging);
                reused = true;
            }
        }

        var kind = schema.Task == TableTask.Text ? DataKind.Text : DataKind.Table;
        return new PreparedDataset(version, target, dataset.Train.Count, dataset.Test.Count, schema.Labels, reused) { Kind = kind };
    }

    /// <summary>The name an upload came by: its file or folder name.</summary>
    public static string SourceName(string upload) => Path.GetFileName(Path.TrimEndingDirectorySeparator(upload));

    /// <summary>SHA-256 over the four files' uncompressed content, the class names (labels.txt as given, else the names decided) and image.json when there is one, in a fixed order.</summary>
    private static string Version(string folder, IReadOnlyList<string> labelNames)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in Files)
        {
            string path = MnistDataset.FindFile(folder, name)
                ?? throw new DatasetFormatException(Path.Combine(folder, name + "[.gz]"), "missing: a dataset holds the four IDX files under their standard names");
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var input = OpenMaybeGzip(path);
            var buffer = new byte[81920];
            int read;
            try
            {
                while ((read = input.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
            catch (InvalidDataException ex)
            {
                throw new DatasetFormatException(path, $"corrupt gzip stream ({ex.Message})");
            }
        }

        string labels = Path.Combine(folder, MnistDataset.LabelsFile);
        hash.AppendData(File.Exists(labels) ? File.ReadAllBytes(labels) : System.Text.Encoding.UTF8.GetBytes(string.Join('\n', labelNames)));
        string image = Path.Combine(folder, MnistDataset.ImageFile);
        if (File.Exists(image))
        {
            hash.AppendData(File.ReadAllBytes(image));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static Stream OpenMaybeGzip(string path)
    {
        var file = File.OpenRead(path);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        return b0 == 0x1f && b1 == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>
    /// An IDX folder as is; image folders (a folder or an archive of class folders) prepared to a temporary
    /// folder; an archive's IDX files extracted (only the dataset's files, by name, never by path) to one.
    /// </summary>
    private static string Unpack(string upload, ImageFolderOptions? imageOptions, out string? temp)
    {
        temp = null;
        if (Directory.Exists(upload))
        {
            var pictures = MnistDataset.FindFile(upload, MnistDataset.TrainImages) is null
                ? Directory.EnumerateFiles(upload, "*", SearchOption.AllDirectories).Where(ImageFolders.IsImage).Take(ImageFolders.MaxImages + 1).ToArray()
                : [];
            if (pictures.Length == 0)
            {
                return upload; // an IDX folder (or not a dataset: loading it says what is missing)
            }

            temp = Directory.CreateTempSubdirectory("lepton-upload-").FullName;
            // Named by their paths inside the upload: what the user knows them by (and no local folder in a run's status).
            var entries = pictures
                .Select(p => (File: p, Path: Path.GetRelativePath(upload, p).Replace('\\', '/')))
                .Select(p => (p.File, p.Path, Place: ImageFolders.Classify(p.Path)))
                .Where(p => p.Place is not null)
                .Select(p => new ImageFolders.Entry(p.Path, p.Place!.Value.Class, p.Place.Value.Split, File.ReadAllBytes(p.File)))
                .ToArray();
            ImageFolders.WriteDataset(entries, temp, imageOptions);
            return temp;
        }

        if (!File.Exists(upload))
        {
            throw new DatasetFormatException(upload, "not found: give a dataset folder or a .zip / .tar.gz archive");
        }

        string extracted = Directory.CreateTempSubdirectory("lepton-upload-").FullName;
        temp = extracted;
        var wanted = Files.SelectMany(f => new[] { f, f + ".gz" }).Append(MnistDataset.LabelsFile).Append(MnistDataset.ImageFile).ToHashSet(StringComparer.Ordinal);
        var images = new List<ImageFolders.Entry>();
        void Take(string path, Func<Stream> open)
        {
            string name = Path.GetFileName(path);
            if (wanted.Contains(name))
            {
                using var input = open();
                using var output = File.Create(Path.Combine(extracted, name));
                input.CopyTo(output);
            }
            else if (ImageFolders.IsImage(name) && ImageFolders.Classify(path) is { } place && images.Count <= ImageFolders.MaxImages)
            {
                using var input = open();
                using var buffer = new MemoryStream();
                input.CopyTo(buffer);
                images.Add(new ImageFolders.Entry(path, place.Class, place.Split, buffer.ToArray()));
            }
        }

        try
        {
            if (upload.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                using var zip = ZipFile.OpenRead(upload);
                foreach (var entry in zip.Entries.Where(e => e.Name.Length > 0))
                {
                    Take(entry.FullName, entry.Open);
                }
            }
            else if (upload.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || upload.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
            {
                using var gz = new GZipStream(File.OpenRead(upload), CompressionMode.Decompress);
                using var tar = new TarReader(gz);
                while (tar.GetNextEntry() is { } entry)
                {
                    if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
                    {
                        Take(entry.Name, () => new NonClosingStream(data));
                    }
                }
            }
            else
            {
                throw new DatasetFormatException(upload, "not a dataset archive: use .zip or .tar.gz");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DatasetFormatException(upload, $"corrupt archive ({ex.Message})");
        }

        if (MnistDataset.FindFile(extracted, MnistDataset.TrainImages) is null && images.Count > 0)
        {
            ImageFolders.WriteDataset(images, extracted, imageOptions);
        }

        return extracted;
    }

    private static void DeleteQuietly(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A tar entry's data stream, left open for the reader that owns it.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
