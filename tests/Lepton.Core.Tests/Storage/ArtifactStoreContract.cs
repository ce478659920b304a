using Lepton.Tests;
using System.Text;
using Lepton.Core.Storage;

namespace Lepton.Core.Tests.Storage;

/// <summary>The behaviour every artifact store promises; run against the folder store and Azurite.</summary>
public abstract class ArtifactStoreContract
{
    protected abstract IArtifactStore Store { get; }

    /// <summary>A container of this test class's own.</summary>
    protected abstract string Container { get; }

    private string P(string name) => $"{Container}/{name}";

    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<string> ReadTextAsync(string path)
    {
        await using var stream = await Store.OpenReadAsync(path);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Write_ThenRead_ReturnsTheContentAndInfo()
    {
        var written = await Store.WriteAsync(P("a/b.txt"), Text("hello"));

        Assert.Equal("hello", await ReadTextAsync(P("a/b.txt")));
        var info = await Store.GetInfoAsync(P("a/b.txt"));
        Assert.NotNull(info);
        Assert.Equal(5, info.Length);
        Assert.Equal(written.ETag, info.ETag);
        var content = await Store.ReadAsync(P("a/b.txt"));
        Assert.Equal("hello", content!.Data.ToString());
        Assert.Equal(written.ETag, content.Info.ETag);
    }

    [Fact]
    public async Task Missing_ReadsAsNullAndOpensAsNotFound()
    {
        Assert.Null(await Store.GetInfoAsync(P("nope")));
        Assert.Null(await Store.ReadAsync(P("nope")));
        var ex = await Assert.ThrowsAsync<ArtifactNotFoundException>(() => Store.OpenReadAsync(P("nope")));
        Assert.Equal(P("nope"), ex.ArtifactPath);
    }

    [Fact]
    public async Task IfNotExists_OnExisting_Conflicts_AndKeepsTheOriginal()
    {
        await Store.WriteAsync(P("once"), Text("first"), WriteCondition.IfNotExists);

        await Assert.ThrowsAsync<ArtifactConflictException>(() => Store.WriteAsync(P("once"), Text("second"), WriteCondition.IfNotExists));
        Assert.Equal("first", await ReadTextAsync(P("once")));
    }

    [Fact]
    public async Task IfMatch_CurrentETagWins_StaleETagConflicts()
    {
        var v1 = await Store.WriteAsync(P("doc"), Text("1"));
        var v2 = await Store.WriteAsync(P("doc"), Text("22"), WriteCondition.IfMatch(v1.ETag));

        Assert.NotEqual(v1.ETag, v2.ETag);
        await Assert.ThrowsAsync<ArtifactConflictException>(() => Store.WriteAsync(P("doc"), Text("3"), WriteCondition.IfMatch(v1.ETag)));
        Assert.Equal("22", await ReadTextAsync(P("doc")));
    }

    [Fact]
    public async Task IfMatch_OnMissing_Conflicts()
    {
        await Assert.ThrowsAsync<ArtifactConflictException>(() => Store.WriteAsync(P("ghost"), Text("x"), WriteCondition.IfMatch("\"0-0\"")));
    }

    [Fact]
    public async Task List_ReturnsPathsUnderThePrefixInOrder()
    {
        await Store.WriteAsync(P("l/b/2"), Text("x"));
        await Store.WriteAsync(P("l/a/1"), Text("x"));
        await Store.WriteAsync(P("l/a/3"), Text("x"));
        await Store.WriteAsync(P("other/1"), Text("x"));

        var all = await Store.ListAsync(P("l/")).ToListAsync();
        var a = await Store.ListAsync(P("l/a/")).ToListAsync();

        Assert.Equal([P("l/a/1"), P("l/a/3"), P("l/b/2")], all);
        Assert.Equal([P("l/a/1"), P("l/a/3")], a);
        Assert.Empty(await Store.ListAsync(P("l/zzz/")).ToListAsync());
    }

    [Fact]
    public async Task List_UnknownContainer_IsEmpty()
    {
        Assert.Empty(await Store.ListAsync("never-created-container/").ToListAsync());
    }

    [Fact]
    public async Task Delete_RemovesOnce()
    {
        await Store.WriteAsync(P("del"), Text("x"));

        Assert.True(await Store.DeleteAsync(P("del")));
        Assert.False(await Store.DeleteAsync(P("del")));
        Assert.Null(await Store.GetInfoAsync(P("del")));
    }

    [Fact]
    public async Task LargeArtifact_StreamsBothWays()
    {
        var data = new byte[6 * 1024 * 1024];
        new Random(3).NextBytes(data);
        await Store.WriteAsync(P("big.bin"), new MemoryStream(data));

        await using var stream = await Store.OpenReadAsync(P("big.bin"));
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(data, copy.ToArray());
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("models/../../x")]
    [InlineData("models//x")]
    [InlineData("Models/x")]
    [InlineData("models/.hidden")]
    [InlineData("models/a b")]
    [InlineData("justcontainer")]
    public async Task InvalidPath_IsRejected(string path)
    {
        await Assert.ThrowsAsync<InvalidArtifactPathException>(() => Store.WriteAsync(path, Text("x")));
    }

    [Fact]
    public async Task CompareAndSwap_ConcurrentIncrements_LoseNone()
    {
        await Store.WriteAsync(P("counter"), Text("0"));

        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            while (true)
            {
                var current = await Store.ReadAsync(P("counter"), ct);
                int value = int.Parse(current!.Data.ToString(), System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    await Store.WriteAsync(P("counter"), Text((value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), WriteCondition.IfMatch(current.Info.ETag), ct);
                    return;
                }
                catch (ArtifactConflictException)
                {
                    await Task.Delay(Random.Shared.Next(1, 5), ct);
                }
            }
        });

        Assert.Equal("16", await ReadTextAsync(P("counter")));
    }
}

public sealed class FolderArtifactStoreTests : ArtifactStoreContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-store-").FullName;

    public FolderArtifactStoreTests() => Store = new FolderArtifactStore(_root);

    protected override IArtifactStore Store { get; }

    protected override string Container => "tests";

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Write_LeavesNoTemporaryFiles()
    {
        await Store.WriteAsync("tests/x/y", new MemoryStream([1, 2, 3]), WriteCondition.IfNotExists);

        Assert.Equal(["y"], Directory.GetFiles(Path.Combine(_root, "tests", "x")).Select(Path.GetFileName).Where(n => !n!.EndsWith(".lock", StringComparison.Ordinal)));
    }
}

public sealed class BlobArtifactStoreTests : ArtifactStoreContract
{
    protected override IArtifactStore Store { get; } = TestStores.Azurite();

    protected override string Container { get; } = TestStores.UniqueContainer("tests");
}
