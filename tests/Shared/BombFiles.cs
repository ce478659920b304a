using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Lepton.Tests;

/// <summary>
/// Decompression bombs made on the spot: tiny files whose headers declare huge images, with the pixel
/// data cut short (what a truncated upload or an attacker sends).
/// </summary>
internal static class BombFiles
{
    /// <summary>A grayscale PNG declaring <paramref name="width"/>x<paramref name="height"/>, with one deflated row of data and no end.</summary>
    public static byte[] Png(int width, int height)
    {
        using var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (gray), compression 0, filter 0, interlace 0
        Chunk(file, "IHDR", header);
        using var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[Math.Min(width + 1, 64 * 1024)]); // the first row (filter byte + pixels) only
        }

        Chunk(file, "IDAT", deflated.ToArray());
        return file.ToArray();
    }

    /// <summary>A real JPEG whose frame header is rewritten to <paramref name="width"/>x<paramref name="height"/>: the scan data is far too short.</summary>
    public static byte[] Jpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(16, 16);
        bitmap.Erase(SKColors.Gray);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 80);
        byte[] bytes = data.ToArray();
        for (int i = 2; i + 9 < bytes.Length; i++)
        {
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)width);
                return bytes[..Math.Min(bytes.Length, i + 200)];
            }
        }

        throw new InvalidOperationException("no frame header in the encoded JPEG");
    }

    /// <summary>A valid PNG cut to <paramref name="fraction"/> of its length.</summary>
    public static byte[] Truncated(byte[] image, double fraction) => image[..(int)(image.Length * fraction)];

    private static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
