using System.Collections.Concurrent;

namespace Lepton.Training.Models;

/// <summary>
/// Architectures by name. The trainer looks models up here only, so a new family (RNN, GAN, ...)
/// plugs in with one <see cref="Register"/> call and the exporter's support for its layers.
/// </summary>
public static class ArchitectureRegistry
{
    private static readonly ConcurrentDictionary<string, Architecture> Known = new(StringComparer.Ordinal);

    static ArchitectureRegistry()
    {
        Register(SeedCnn.Definition);
        Register(BatchNormCnn.Definition);
        Register(Mlp.Definition);
        Register(SmallResNet.Definition);
        Register(TransferHead.Definition);
        Register(RecurrentFamilies.Gru);
        Register(RecurrentFamilies.Lstm);
        Register(Dcgan.Definition);
        Register(RowFamilies.TextBow);
        Register(RowFamilies.TextGru);
        Register(RowFamilies.TextLstm);
        Register(RowFamilies.TabularMlp);
    }

    public static IReadOnlyCollection<string> Names => Known.Keys.Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyCollection<Architecture> All => Known.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToArray();

    public static void Register(Architecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (!Known.TryAdd(architecture.Name, architecture))
        {
            throw new InvalidOperationException($"an architecture named '{architecture.Name}' is already registered");
        }
    }

    public static Architecture Get(string name) =>
        Known.TryGetValue(name, out var architecture)
            ? architecture
            : throw new KeyNotFoundException($"unknown architecture '{name}' (known: {string.Join(", ", Names)})");
}
