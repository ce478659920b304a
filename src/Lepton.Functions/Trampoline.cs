using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Lepton.Functions;

/// <summary>
/// What every HTTP function of the API does: hands the request to its host-neutral handler, which writes
/// the response itself (the route's name, template and auth level are the function's, from ApiRoutes).
/// </summary>
internal static class Trampoline
{
    private static readonly EmptyResult Written = new();

    public static async Task<IActionResult> RunAsync(HttpRequest request, Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(request);
        await handler(request.HttpContext).ConfigureAwait(false);
        return Written;
    }
}
