using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Lepton.Functions;

/// <summary>
/// The web console on the Functions app: the page at the site root (host.json sets no route prefix; an
/// empty route takes the root from the host's own homepage, which AzureWebJobsDisableHomepage also turns
/// off, so the page is routed through an optional empty parameter instead) and its script and style sheet.
/// </summary>
public static class ConsoleFunctions
{
    [Function(nameof(ApiRoutes.Console))]
    public static Task<IActionResult> IndexAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ConsoleOnFunctions)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => ConsolePage.WriteIndexAsync(c, ApiHost.Functions));

    [Function(nameof(ApiRoutes.ConsoleAsset))]
    public static Task<IActionResult> AssetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ConsoleAsset)] HttpRequest request, string file) =>
        Trampoline.RunAsync(request, c => ConsolePage.WriteAssetAsync(c, file));
}
