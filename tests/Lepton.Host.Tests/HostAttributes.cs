using System.Reflection;
using Lepton.Tests;
using Xunit.Sdk;

namespace Lepton.Host.Tests;

/// <summary>Names of the hosts a conformance test runs on.</summary>
public static class Hosts
{
    public const string Serve = "serve";
    public const string Functions = "functions";

    /// <summary>Why the Functions host tests are skipped, or null when a host is available.</summary>
    public static string? FunctionsSkipReason { get; } = FunctionsHost.Locate(out string reason) is null ? reason : null;
}

/// <summary>A test row on <c>lepton serve</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnServeAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Hosts.Serve]];
}

/// <summary>A test row on the Functions host: skipped (never passed) where no host can be found.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnFunctionsHostAttribute : DataAttribute
{
    public OnFunctionsHostAttribute()
    {
        Skip = Hosts.FunctionsSkipReason!;
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Hosts.Functions]];
}

/// <summary>A test that needs the Functions host: skipped where none can be found.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FunctionsHostFactAttribute : FactAttribute
{
    public FunctionsHostFactAttribute()
    {
        Skip = Hosts.FunctionsSkipReason!;
    }
}

/// <summary>A test that drives a headless Chromium: skipped (never passed) where there is none.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        Skip = ConsoleBrowser.SkipReason!;
    }
}

/// <summary>A browser test on the Functions host: skipped where either the browser or the host is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FunctionsBrowserFactAttribute : FactAttribute
{
    public FunctionsBrowserFactAttribute()
    {
        Skip = ConsoleBrowser.SkipReason ?? Hosts.FunctionsSkipReason!;
    }
}
