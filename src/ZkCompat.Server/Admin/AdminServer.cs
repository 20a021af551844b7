using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Peer;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace ZkCompat.Server.Admin;

/// <summary>
/// Java's <c>JettyAdminServer</c> on Kestrel: <c>GET &lt;commandURL&gt;</c> lists the commands as links,
/// <c>GET &lt;commandURL&gt;/&lt;name&gt;?arg=value</c> runs one and answers its JSON with status 200
/// (errors included, as Java does). Commands run against whatever server serves at the time of the
/// request: the standalone server, or a quorum peer's current role (none while it elects).
/// </summary>
public sealed partial class AdminServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly ServerOptions _options;
    private readonly Func<ZooKeeperServer?> _server;
    private readonly QuorumPeer? _peer;
    private readonly Func<long>? _leaderId;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private KestrelServer? _kestrel;
    private ServiceProvider? _services;

    /// <param name="options">admin.* settings and what the commands report.</param>
    /// <param name="server">The server that serves now; null while none does.</param>
    /// <param name="loggers">Loggers for the admin server and Kestrel.</param>
    /// <param name="peer">The quorum peer, for a replicated server.</param>
    /// <param name="leaderId">The sid of the leader the peer last elected (a follower's leader command).</param>
    public AdminServer(ServerOptions options, Func<ZooKeeperServer?> server, ILoggerFactory loggers, QuorumPeer? peer = null,
        Func<long>? leaderId = null)
    {
        _options = options;
        _server = server;
        _peer = peer;
        _leaderId = leaderId;
        _loggers = loggers;
        _log = loggers.CreateLogger("ZkCompat.Server.Admin.AdminServer");
    }

    /// <summary>Where the server listens once started (the real port when admin.serverPort is 0).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>
    /// Binds <c>admin.serverAddress:admin.serverPort</c> and starts serving; false, with the failure
    /// logged, when the AdminServer is disabled or cannot bind. The ZooKeeper server goes on either way.
    /// </summary>
    public async Task<bool> StartAsync(CancellationToken ct = default)
    {
        if (!_options.AdminEnableServer) return false;
        if (_kestrel is not null) throw new InvalidOperationException("the AdminServer is already started");
        try
        {
            var address = await ResolveAsync(_options.AdminServerAddress, ct).ConfigureAwait(false);
            var endPoint = new IPEndPoint(address, _options.AdminServerPort);
            var kestrelOptions = new KestrelServerOptions { AddServerHeader = false };
            _services = new ServiceCollection().AddSingleton(_loggers).BuildServiceProvider();
            kestrelOptions.ApplicationServices = _services;
            kestrelOptions.Limits.KeepAliveTimeout = _options.AdminIdleTimeoutMs > 0
                ? TimeSpan.FromMilliseconds(_options.AdminIdleTimeoutMs)
                : Timeout.InfiniteTimeSpan;
            // Jetty's plain connector speaks HTTP/1.1 only.
            kestrelOptions.Listen(endPoint, listen => listen.Protocols = HttpProtocols.Http1);
            var transport = new SocketTransportFactory(MsOptions.Create(new SocketTransportOptions()), _loggers);
            _kestrel = new KestrelServer(MsOptions.Create(kestrelOptions), transport, _loggers);
            await _kestrel.StartAsync(new Application(this), ct).ConfigureAwait(false);
            LocalEndPoint = BoundEndPoint(_kestrel, endPoint);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            LogStartFailed(e, _options.AdminServerAddress, _options.AdminServerPort, _options.AdminCommandUrl);
            await StopAsync().ConfigureAwait(false);
            return false;
        }
        LogStarted(_options.AdminServerAddress, LocalEndPoint!.Port, _options.AdminCommandUrl);
        return true;
    }

    /// <summary>Runs a command as a request for it would (no HTTP): for tests and tools.</summary>
    public CommandResponse RunCommand(string name, IReadOnlyDictionary<string, string>? arguments = null) =>
        AdminCommands.Run(name, new AdminCommandContext(_options, _server(), _peer, _leaderId?.Invoke() ?? -1,
            arguments ?? new Dictionary<string, string>(StringComparer.Ordinal)));

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopAsync()
    {
        var kestrel = _kestrel;
        _kestrel = null;
        if (kestrel is not null)
        {
            // Open keep-alive connections get a moment to finish; then Kestrel closes them.
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await kestrel.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            kestrel.Dispose();
        }
        if (_services is not null) await _services.DisposeAsync().ConfigureAwait(false);
        _services = null;
    }

    /// <summary>Routes as Jetty's servlet mapping <c>commandURL/*</c> does; nothing else is served.</summary>
    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = request.Path.Value ?? "";
        string commandUrl = _options.AdminCommandUrl;

        // Java constrains TRACE everywhere: refused with no body.
        if (HttpMethods.IsTrace(request.Method))
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            response.ContentLength = 0;
            return;
        }
        bool mapped = path == commandUrl || path.StartsWith(commandUrl + "/", StringComparison.Ordinal);
        if (!mapped)
        {
            await WriteErrorPageAsync(context, StatusCodes.Status404NotFound, "Not Found").ConfigureAwait(false);
            return;
        }
        bool head = HttpMethods.IsHead(request.Method);
        if (!HttpMethods.IsGet(request.Method) && !head)
        {
            await WriteErrorPageAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"HTTP method {request.Method} is not supported by this URL").ConfigureAwait(false);
            return;
        }

        string pathInfo = path[commandUrl.Length..];
        if (pathInfo.Length <= 1)
        {
            // The servlet sets no content type here; Jetty's writer is ISO-8859-1.
            await WriteBodyAsync(context, Encoding.Latin1.GetBytes(CommandLinks(commandUrl)), contentType: null, head).ConfigureAwait(false);
            return;
        }
        string name = pathInfo[1..];
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in request.Query)
        {
            if (values.Count > 0) arguments[key] = values[0] ?? "";
        }
        string json;
        try
        {
            json = JsonOutputter.Write(AdminCommands.Run(name, new AdminCommandContext(_options, _server(), _peer,
                _leaderId?.Invoke() ?? -1, arguments)));
        }
        catch (Exception e)
        {
            // Java's command throws into Jetty, which answers 500 (mntr while no server serves).
            LogCommandFailed(e, name);
            await WriteErrorPageAsync(context, StatusCodes.Status500InternalServerError, "Server Error").ConfigureAwait(false);
            return;
        }
        await WriteBodyAsync(context, Encoding.UTF8.GetBytes(json), JsonOutputter.ContentType, head).ConfigureAwait(false);
    }

    /// <summary>One link per primary name, sorted, each line followed by a <c>&lt;br/&gt;</c> line, as Java prints them.</summary>
    public static string CommandLinks(string commandUrl)
    {
        var sb = new StringBuilder();
        foreach (string name in AdminCommands.PrimaryNames)
            sb.Append("<a href=\"").Append(commandUrl).Append('/').Append(name).Append("\">").Append(name).Append("</a>\n<br/>\n");
        return sb.ToString();
    }

    private static async Task WriteBodyAsync(HttpContext context, byte[] body, string? contentType, bool head)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (contentType is not null) response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (!head) await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>An error page shaped like Jetty's (status, message, URI), in ISO-8859-1 HTML.</summary>
    private static async Task WriteErrorPageAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        string uri = WebUtility.HtmlEncode(context.Request.Path.Value ?? "");
        string text = WebUtility.HtmlEncode(message);
        string page = "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"
            + $"<title>Error {status} {text}</title>\n</head>\n<body><h2>HTTP ERROR {status} {text}</h2>\n<table>\n"
            + $"<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n"
            + $"<tr><th>MESSAGE:</th><td>{text}</td></tr>\n</table>\n\n</body>\n</html>\n";
        byte[] body = Encoding.Latin1.GetBytes(page);
        response.StatusCode = status;
        response.Headers.CacheControl = "must-revalidate,no-cache,no-store";
        response.ContentType = "text/html;charset=iso-8859-1";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method)) await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Like Jetty's connector host: an address literal, or a name resolved to its first address.</summary>
    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(host)) return IPAddress.Any;
        if (IPAddress.TryParse(host, out var literal)) return literal;
        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new IOException($"admin.serverAddress {host} does not resolve");
    }

    private static IPEndPoint BoundEndPoint(KestrelServer kestrel, IPEndPoint requested)
    {
        // Kestrel rewrites the address list with the port it bound (an ephemeral one for port 0).
        string? url = kestrel.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? new IPEndPoint(requested.Address, uri.Port) : requested;
    }

    private sealed class Application(AdminServer owner) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => owner.HandleAsync(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started AdminServer on address {Address}, port {Port} and command URL {CommandUrl}")]
    private partial void LogStarted(string address, int port, string commandUrl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Problem starting AdminServer on address {Address}, port {Port} and command URL {CommandUrl}")]
    private partial void LogStartFailed(Exception exception, string address, int port, string commandUrl);

    [LoggerMessage(Level = LogLevel.Error, Message = "Error running admin command {Command}")]
    private partial void LogCommandFailed(Exception exception, string command);
}
