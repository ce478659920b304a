using System.Net;
using System.Security.Cryptography;
using System.Text;
using Lepton.CommandLine;
using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;

namespace Lepton.Cli;

/// <summary>
/// Who may call the admin routes of <c>lepton serve</c>. With a key: only requests carrying it (header
/// <c>x-functions-key</c> or <c>?code=</c>), compared in constant time. Without one: only loopback
/// clients, and a request that came through a proxy (it carries X-Forwarded-For, Forwarded or
/// X-Real-IP) is not local unless <c>--trust-proxy</c> says the proxy in front checks that itself.
/// </summary>
public sealed class AdminAccess
{
    private static readonly string[] ProxyHeaders = ["X-Forwarded-For", "Forwarded", "X-Real-IP"];
    private readonly byte[]? _keyHash;
    private readonly bool _trustProxy;

    public AdminAccess(string? key, bool trustProxy)
    {
        if (key is not null && string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException($"the admin key is empty (--admin-key or {ServeCommand.AdminKeyVariable}): set a real key or none");
        }

        _keyHash = key is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
        _trustProxy = trustProxy;
    }

    public bool HasKey => _keyHash is not null;

    /// <summary>True when the request may go on; otherwise a 401 or 403 has been written.</summary>
    public async Task<bool> AuthorizeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_keyHash is null)
        {
            if (IsLocal(context))
            {
                return true;
            }

            await ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "admin routes answer only local clients unless an admin key is set").ConfigureAwait(false);
            return false;
        }

        string? given = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        if (!string.IsNullOrEmpty(given) && Matches(given))
        {
            return true;
        }

        await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "this route needs the admin key (header x-functions-key or ?code=)").ConfigureAwait(false);
        return false;
    }

    /// <summary>Hashes both sides first, so the comparison takes the same time whatever the lengths.</summary>
    private bool Matches(string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash);

    private bool IsLocal(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || !IPAddress.IsLoopback(remote))
        {
            return false;
        }

        return _trustProxy || !ProxyHeaders.Any(h => context.Request.Headers.ContainsKey(h));
    }
}
