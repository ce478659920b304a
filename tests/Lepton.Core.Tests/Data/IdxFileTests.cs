using Lepton.Core.Data;

namespace Lepton.Core.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void ReadImages_WrittenFile_RoundTrips(string name)
    {
        byte[] pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)i).ToArray();
        IdxFile.Write(PathOf(name), [3, 4, 5], pixels);

        var images = IdxFile.ReadImages(PathOf(name));

        Assert.Equal((3, 4, 5), (images.Count, images.Rows, images.Columns));
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(pixels.AsSpan(20, 20).ToArray(), images.Image(1).ToArray());
    }

    [Fact]
    public void ReadImages_WrongMagic_NamesFileAndProblem()
    {
        File.WriteAllBytes(PathOf("bad"), [0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadImages(PathOf("bad")));

        Assert.Contains(PathOf("bad"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("wrong magic number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_LabelFile_ReportsDimensionMismatch()
    {
        IdxFile.Write(PathOf("labels"), [4], [0, 1, 2, 3]);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadImages(PathOf("labels")));

        Assert.Contains("dimension mismatch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_TruncatedData_ReportsTruncation()
    {
        IdxFile.Write(PathOf("full.gz"), [10, 28, 28], new byte[10 * 28 * 28]);
        byte[] raw = new byte[16 + 100];
        raw[2] = 0x08;
        raw[3] = 3;
        raw[7] = 10;
        raw[11] = 28;
        raw[15] = 28;
        File.WriteAllBytes(PathOf("short"), raw);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadImages(PathOf("short")));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("7840", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_TruncatedHeader_ReportsTruncation()
    {
        File.WriteAllBytes(PathOf("tiny"), [0, 0, 8, 1, 0]);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadLabels(PathOf("tiny")));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_TrailingBytes_AreRejected()
    {
        IdxFile.Write(PathOf("labels"), [2], [1, 2, 3]);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadLabels(PathOf("labels")));

        Assert.Contains("unexpected bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_CorruptGzip_IsAClearError()
    {
        File.WriteAllBytes(PathOf("broken.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]);

        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadLabels(PathOf("broken.gz")));

        Assert.Contains("broken.gz", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_MissingFile_SaysNotFound()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadImages(PathOf("nope")));

        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }
}
