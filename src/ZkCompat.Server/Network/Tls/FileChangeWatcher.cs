using Microsoft.Extensions.Logging;

namespace ZkCompat.Server.Network.Tls;

/// <summary>
/// Java's <c>FileChangeWatcher</c> as X509Util uses it: watches the directory of one file and reports the
/// file being created, written or moved into place; a lost-events overflow is reported too, since the
/// file may have changed unseen. Deletion is ignored (the last good store stays in use).
/// </summary>
public sealed partial class FileChangeWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly string _path;
    private readonly Action _changed;
    private readonly ILogger _log;

    /// <param name="changed">Called on a thread-pool thread; must be cheap (it only signals).</param>
    public FileChangeWatcher(string filePath, Action changed, ILogger log)
    {
        _path = Path.GetFullPath(filePath);
        _changed = changed;
        _log = log;
        string directory = Path.GetDirectoryName(_path)
            ?? throw new IOException("Key/trust store path does not have a parent: " + _path);
        _watcher = new FileSystemWatcher(directory)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += OnEvent;
        _watcher.Created += OnEvent;
        _watcher.Renamed += OnEvent;
        _watcher.Error += OnError;
        _watcher.EnableRaisingEvents = true;
        LogWatching(_path);
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        if (!string.Equals(Path.GetFullPath(e.FullPath), _path, StringComparison.Ordinal)) return;
        LogChanged(e.ChangeType, _path);
        _changed();
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        LogOverflow(_path, e.GetException().Message);
        _changed();
    }

    public void Dispose()
    {
        _watcher.EnableRaisingEvents = false;
        _watcher.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registering with watch service for {Path}")]
    private partial void LogWatching(string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Got file changed event: {Kind} for {Path}")]
    private partial void LogChanged(WatcherChangeTypes kind, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "File watch events for {Path} may have been lost ({Reason}); reloading")]
    private partial void LogOverflow(string path, string reason);
}
