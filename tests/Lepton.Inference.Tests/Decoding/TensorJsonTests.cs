using System.Text;
using System.Text.Json;
using Lepton.Inference.Decoding;

namespace Lepton.Inference.Tests.Decoding;

/// <summary>Numbers of a JSON tensor: the whole-number fast path reads what the general parse reads.</summary>
public sealed class TensorJsonTests
{
    private static float[] Read(string json, int expected, bool exact = true)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return TensorJson.ReadNumbers(ref reader, expected, "data", exact);
    }

    [Fact]
    public void WholeNumbers_DecimalsAndExponents_ReadAsTheirFloats()
    {
        string[] texts = ["0", "7", "255", "123456789", "1234567890", "16777217", "-3", "0.5", "1e2", "2.5E-1", "-0", "999999999"];
        float[] values = Read("[" + string.Join(',', texts) + "]", texts.Length);

        Assert.Equal(texts.Select(t => (float)double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)), values);
    }

    [Fact]
    public void Nested_FillsInOrder()
    {
        Assert.Equal([1f, 2f, 3f, 4f], Read("[[1,2],[[3],4]]", 4));
    }

    [Theory]
    [InlineData("[1,2,3]", 4)]
    [InlineData("[1,2,3,4,5]", 4)]
    public void Exact_WrongCount_Is400(string json, int expected)
    {
        var ex = Assert.Throws<InputException>(() => Read(json, expected));
        Assert.Equal(InputProblem.Invalid, ex.Problem);
    }

    [Theory]
    [InlineData("[1,2,3]", 4, 3)]
    [InlineData("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]", 4, 20)]
    [InlineData("[1,2]", 0, 2)]
    public void NotExact_ReturnsWhatIsThere(string json, int hint, int count)
    {
        float[] values = Read(json, hint, exact: false);

        Assert.Equal(Enumerable.Range(1, count).Select(i => (float)i), values);
    }

    [Theory]
    [InlineData("[1e39]")]
    [InlineData("[\"1\"]")]
    [InlineData("[true]")]
    public void NotAFiniteNumber_Is400(string json)
    {
        Assert.Throws<InputException>(() => Read(json, 1));
    }

    // ---- the flat whole-number fast path (TrySpliceWholeNumbers) ----------------------------------

    private static float[] ReadData(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data"))
            {
                reader.Read();
                return TensorJson.ReadNumbers(ref reader, 0, "data", exact: false);
            }
        }

        throw new InvalidOperationException("no data");
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"UINT8","data":[0,7,255,123456789]}]}""")]
    [InlineData("""{"id":"a \"data\": [9]","inputs":[{"data" : [ 1 , 2,3 ] ,"name":"pixels","shape":[1,3]}],"outputs":[{"name":"logits"}]}""")]
    [InlineData("{\"inputs\":[{\"data\":\n[\t1,\r\n 0 ]}]}")]
    public void Splice_ReadsWhatTheReaderReads_AndLeavesAValidBodyWithANumberWhereTheArrayWas(string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json);

        Assert.True(TensorJson.TrySpliceWholeNumbers(body, "data"u8, 1000, out byte[] spliced, out int at, out float[] values));

        Assert.Equal(ReadData(body), values);
        using var document = JsonDocument.Parse(spliced); // still valid JSON
        var reader = new Utf8JsonReader(spliced);
        while (reader.Read() && !(reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data")))
        {
        }

        reader.Read();
        Assert.Equal(JsonTokenType.Number, reader.TokenType);
        Assert.Equal(at, reader.TokenStartIndex);
        Assert.Equal(json.Replace(json[at..(json.IndexOf(']', at) + 1)], "0", StringComparison.Ordinal), Encoding.UTF8.GetString(spliced));
    }

    [Theory]
    [InlineData("""{"data":[1,2.5]}""")] // a decimal
    [InlineData("""{"data":[1,-2]}""")] // a sign
    [InlineData("""{"data":[1,2e3]}""")] // an exponent
    [InlineData("""{"data":[1,02]}""")] // a leading zero (not JSON)
    [InlineData("""{"data":[1234567890]}""")] // more than 9 digits
    [InlineData("""{"data":[[1,2],[3,4]]}""")] // nested
    [InlineData("""{"data":[]}""")] // empty
    [InlineData("""{"data":[1,2,]}""")] // a trailing comma
    [InlineData("""{"data":[1 2]}""")] // no comma
    [InlineData("""{"data":[1,2""")] // unterminated
    [InlineData("""{"data":"1,2"}""")] // not an array
    [InlineData("""{"inputs":[{"data":[1,2]}],"parameters":{"data":[3]}}""")] // the key twice
    [InlineData("""{"inputs":[{"\"data":[1,2]}]}""")] // not the key
    [InlineData("""{"inputs":[{"values":[1,2]}]}""")] // no such key
    [InlineData("""{"data":[1,2,3,4,5]}""")] // more values than allowed (4)
    public void Splice_RefusesWhatItDoesNotFullyAccountFor(string json)
    {
        Assert.False(TensorJson.TrySpliceWholeNumbers(Encoding.UTF8.GetBytes(json), "data"u8, 4, out _, out _, out _));
    }
}

