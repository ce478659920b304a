using System.Buffers.Binary;
using System.IO.Compression;

namespace Lepton.Core.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (gzipped or raw): a big-endian header of a magic
/// number (0x0000, the element type 0x08 = unsigned byte, the number of dimensions), one 32-bit size
/// per dimension, then the elements. Images are three dimensions (count, rows, columns: gray, as MNIST)
/// or four (count, channels, rows, columns: color, planes of RGB).
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an image file: three dimensions (count, rows, columns) or four (count, channels, rows, columns).</summary>
    public static ImageArray ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDims: [3, 4]);
        return dims.Length == 3
            ? new ImageArray(data, dims[0], dims[1], dims[2])
            : new ImageArray(data, dims[0], dims[2], dims[3], dims[1]);
    }

    /// <summary>Writes images: three dimensions when they are gray, four (count, channels, rows, columns) otherwise.</summary>
    public static void WriteImages(string path, ImageArray images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Channels == 1)
        {
            Write(path, [images.Count, images.Rows, images.Columns], images.Pixels);
        }
        else
        {
            Write(path, [images.Count, images.Channels, images.Rows, images.Columns], images.Pixels);
        }
    }

    /// <summary>Reads a label file: one dimension (count).</summary>
    public static byte[] ReadLabels(string path) => Read(path, expectedDims: [1]).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int[] expectedDims)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, "file not found");
        }

        byte[] bytes;
        try
        {
            bytes = LoadMaybeGzip(path);
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetFormatException(path, $"corrupt gzip stream ({ex.Message})");
        }

        if (bytes.Length < 4)
        {
            throw new DatasetFormatException(path, $"truncated: {bytes.Length} bytes, too short for an IDX header");
        }

        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new DatasetFormatException(path,
                $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: not an IDX file");
        }

        if (bytes[2] != UnsignedByte)
        {
            throw new DatasetFormatException(path,
                $"element type 0x{bytes[2]:X2} is not supported (expected 0x08, unsigned bytes)");
        }

        int dimCount = bytes[3];
        if (!expectedDims.Contains(dimCount))
        {
            throw new DatasetFormatException(path,
                $"dimension mismatch: the header declares {dimCount} dimension(s), expected {string.Join(" or ", expectedDims)} " +
                (expectedDims[0] == 3 ? "(images: count, rows, columns; or count, channels, rows, columns)" : "(labels: count)"));
        }

        int headerLength = 4 + (4 * dimCount);
        if (bytes.Length < headerLength)
        {
            throw new DatasetFormatException(path, $"truncated: the header needs {headerLength} bytes, the file has {bytes.Length}");
        }

        var dims = new int[dimCount];
        long expected = 1;
        for (int i = 0; i < dimCount; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (size == 0 || size > int.MaxValue)
            {
                throw new DatasetFormatException(path, $"dimension {i} has size {size}");
            }

            dims[i] = (int)size;
            expected *= size;
        }

        long actual = bytes.Length - headerLength;
        if (actual < expected)
        {
            throw new DatasetFormatException(path,
                $"truncated: the header declares {string.Join('x', dims)} = {expected} bytes of data, the file has {actual}");
        }

        if (actual > expected)
        {
            throw new DatasetFormatException(path,
                $"{actual - expected} unexpected bytes after the {string.Join('x', dims)} elements the header declares");
        }

        return (dims, bytes.AsSpan(headerLength).ToArray());
    }

    private static byte[] LoadMaybeGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int read = file.Read(head);
        file.Position = 0;
        bool gzip = read == 2 && head[0] == 0x1f && head[1] == 0x8b;
        using var buffer = new MemoryStream();
        if (gzip)
        {
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            unzip.CopyTo(buffer);
        }
        else
        {
            file.CopyTo(buffer);
        }

        return buffer.ToArray();
    }

    /// <summary>Writes an IDX file (for tests and tools that make datasets); gzipped when the name ends in .gz.</summary>
    public static void Write(string path, ReadOnlySpan<int> dims, ReadOnlySpan<byte> data)
    {
        using var file = File.Create(path);
        using Stream output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.Fastest)
            : file;
        Span<byte> word = stackalloc byte[4];
        output.Write([0, 0, UnsignedByte, (byte)dims.Length]);
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            output.Write(word);
        }

        output.Write(data);
    }
}
