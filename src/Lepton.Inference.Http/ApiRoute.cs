namespace Lepton.Inference.Http;

/// <summary>
/// One route of the HTTP API. <see cref="Name"/> is the Functions app's function name; admin routes take
/// a function key on the Functions app and pass <c>lepton serve</c>'s admin check.
/// </summary>
/// <param name="Name">The function's name on the Functions app, and the route's key.</param>
/// <param name="OperationId">The OpenAPI operation id.</param>
/// <param name="Method">The HTTP method, upper case.</param>
/// <param name="Template">The route template without its leading '/'.</param>
/// <param name="Summary">The OpenAPI summary.</param>
public sealed record ApiRoute(string Name, string OperationId, string Method, string Template, string Summary)
{
    /// <summary>Whether the route needs an admin key (a function key on the Functions app).</summary>
    public bool Admin { get; init; }

    /// <summary>The one host that serves the route; null when both do.</summary>
    public ApiHost? OnlyOn { get; init; }

    /// <summary>The template as the Functions host takes it (differs only for the site root).</summary>
    public string FunctionsTemplate { get; init; } = Template;

    /// <summary>The path as ASP.NET Core and OpenAPI write it.</summary>
    public string Path => "/" + Template;

    public bool IsServedBy(ApiHost host) => OnlyOn is null || OnlyOn == host;
}
