using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Decoding;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Inference.Tests.Http;

/// <summary>Errors are classified by type, never by message: typed bad input is its 4xx, anything else a bare 500.</summary>
public sealed class ApiErrorsTests
{
    private static async Task<(int Status, string Body)> RunAsync(Exception thrown)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await ApiErrors.RunAsync(context, NullLogger.Instance, () => throw thrown);

        return (context.Response.StatusCode, Encoding.UTF8.GetString(body.ToArray()));
    }

    public static TheoryData<Exception> NotInput() =>
    [
        new ArgumentException("boom"),
        new ArgumentException("artifact path 'models/x' was once a 400 by its message"),
        new ArgumentNullException("name"),
        new ArgumentOutOfRangeException("index"),
        new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string."),
        new InvalidOperationException("internal detail /srv/secret/path"),
        new FormatException("bad format"),
    ];

    [Theory]
    [MemberData(nameof(NotInput))]
    public async Task RunAsync_AnUntypedException_Is500WithNothingInternal(Exception thrown)
    {
        var (status, body) = await RunAsync(thrown);

        Assert.Equal(500, status);
        Assert.Equal("""{"error":"internal error"}""", body);
    }

    public static TheoryData<Exception, int> Input() => new()
    {
        { new InputException(InputProblem.Invalid, "bad"), 400 },
        { new InputException(InputProblem.TooLarge, "bad"), 413 },
        { new InputException(InputProblem.UnsupportedMediaType, "bad"), 415 },
        { new InputException(InputProblem.Conflict, "bad"), 409 },
        { new InvalidNameException("bad"), 400 },
        { new InvalidArtifactPathException("bad", "path"), 400 },
        { new JsonException("bad"), 400 },
        { new ModelNotFoundException("bad"), 404 },
        { new ArtifactNotFoundException("models/x"), 404 },
        { new ArtifactConflictException("models/x", "bad"), 409 },
        { new BadHttpRequestException("bad", 413), 413 },
        { new ModelIntegrityException("bad"), 503 },
        { new RegistryDataException("bad"), 503 },
    };

    [Theory]
    [MemberData(nameof(Input))]
    public async Task RunAsync_ATypedException_IsItsStatus(Exception thrown, int expected)
    {
        var (status, body) = await RunAsync(thrown);

        Assert.Equal(expected, status);
        Assert.NotEqual("internal error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("models//x")]
    [InlineData("justcontainer")]
    public async Task RunAsync_AnInvalidArtifactPath_Is400WithTheReason(string path)
    {
        var thrown = Assert.Throws<InvalidArtifactPathException>(() => ArtifactPath.Validate(path));

        var (status, body) = await RunAsync(thrown);

        Assert.Equal(400, status);
        Assert.Contains($"artifact path '{path}'", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0x5C, 0x75, 0x44, 0x38, 0x30, 0x30 }, "lone surrogate")] // \uD800
    public void PredictInstances_AStringThatIsNotText_IsInputException(byte[] name, string expected)
    {
        byte[] body = [.. "{\""u8, .. name, .. "\":1}"u8];

        var thrown = Assert.Throws<InputException>(() => PredictInstances.Parse(body, 4, 1));

        Assert.Equal(InputProblem.Invalid, thrown.Problem);
        Assert.Contains(expected, thrown.Message, StringComparison.Ordinal);
    }
}
