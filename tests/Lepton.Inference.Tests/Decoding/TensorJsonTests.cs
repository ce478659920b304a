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
}
