using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Lepton.Functions;

/// <summary>Liveness of the Functions app: <c>GET /api/health</c>, anonymous, no dependencies touched.</summary>
public static class HealthFunction
{
    public const string Name = nameof(ApiRoutes.Health);

    [Function(Name)]
    public static IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.Health)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new OkObjectResult(new HealthReport("ok", typeof(HealthFunction).Assembly.GetName().Version?.ToString() ?? "0"));
    }
}

/// <summary>The body of the health route.</summary>
public sealed record HealthReport(string Status, string Version);
