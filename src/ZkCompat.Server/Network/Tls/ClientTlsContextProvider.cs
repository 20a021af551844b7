using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Network.Tls;

/// <summary>
/// The secure port's current <see cref="ClientTlsContext"/> (Java's default SSLContextAndOptions of the
/// NettyServerCnxnFactory's ClientX509Util). Like Java it is built when first needed and, while it cannot
/// be built, every secure connection fails and tries again, so fixing a store needs no restart. With
/// <c>client.certReload</c> the stores are watched and the context rebuilt when their files change;
/// connections already open keep the context they started with.
/// </summary>
public sealed partial class ClientTlsContextProvider : IAsyncDisposable
{
    private readonly ClientTlsOptions _options;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Channel<bool> _reloadRequests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<FileChangeWatcher> _watchers = [];
    private volatile ClientTlsContext? _current;
    private Task? _reloadLoop;

    public ClientTlsContextProvider(ClientTlsOptions options, ILogger log)
    {
        _options = options;
        _log = log;
    }

    /// <summary>Raised after a file change produced a new context (tests wait for it).</summary>
    public event Action<ClientTlsContext>? Reloaded;

    /// <summary>Raised after a file change whose stores could not be loaded; the previous context stays.</summary>
    public event Action<string>? ReloadFailed;

    /// <summary>The context to handshake with; null (after logging why) when it cannot be built now.</summary>
    public ClientTlsContext? Current
    {
        get
        {
            var current = _current;
            if (current is not null) return current;
            lock (_gate)
            {
                if (_current is not null) return _current;
                try
                {
                    _current = Build();
                }
                catch (TlsSetupException e)
                {
                    LogContextFailed(e.Message);
                }
                return _current;
            }
        }
    }

    /// <summary>X509Util.enableCertFileReloading: watch both store files (a watcher that cannot start is logged and skipped).</summary>
    public void EnableCertFileReloading()
    {
        LogEnablingReload();
        foreach (string? location in new[] { _options.KeyStoreLocation, _options.TrustStoreLocation })
        {
            if (string.IsNullOrEmpty(location)) continue;
            try
            {
                _watchers.Add(new FileChangeWatcher(location, RequestReload, _log));
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                LogWatchFailed(location, e.Message);
            }
        }
        _reloadLoop ??= Task.Run(() => ReloadLoopAsync(_stopping.Token));
    }

    // Many events come for one write: they collapse into one pending request.
    private void RequestReload() => _reloadRequests.Writer.TryWrite(true);

    private async Task ReloadLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _reloadRequests.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                _reloadRequests.Reader.TryRead(out _);
                ClientTlsContext fresh;
                try
                {
                    fresh = Build();
                }
                catch (TlsSetupException e)
                {
                    // Often a file caught half-written: its next write event tries again.
                    LogReloadFailed(e.Message);
                    ReloadFailed?.Invoke(e.Message);
                    continue;
                }
                lock (_gate) _current = fresh;
                LogReloaded(fresh.Key?.Certificate.Subject ?? "(none)");
                Reloaded?.Invoke(fresh);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private ClientTlsContext Build()
    {
        var warnings = new List<string>();
        var context = ClientTlsContext.Create(_options, warnings);
        foreach (string warning in warnings) LogSetupWarning(warning);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
        _watchers.Clear();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_reloadLoop is not null) await _reloadLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to create the secure client port's SSL context: {Reason}")]
    private partial void LogContextFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogSetupWarning(string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "enabling cert file reloading")]
    private partial void LogEnablingReload();

    [LoggerMessage(Level = LogLevel.Error, Message = "unable to set up client certificate reload filewatcher for {Location}: {Reason}")]
    private partial void LogWatchFailed(string location, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Error from callback: the key/trust store could not be reloaded, keeping the previous one: {Reason}")]
    private partial void LogReloadFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded the secure client port's key and trust stores; server certificate {Subject}")]
    private partial void LogReloaded(string subject);
}
