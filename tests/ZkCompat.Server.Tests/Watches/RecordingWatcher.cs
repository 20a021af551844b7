using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Tests.Watches;

/// <summary>A watcher that keeps every event it is given, in order.</summary>
internal sealed class RecordingWatcher(string name = "watcher") : IWatcher
{
    public List<WatcherEvent> Events { get; } = [];

    public bool IsStale { get; set; }

    /// <summary>The events as (type, path), for comparisons.</summary>
    public List<(EventType Type, string Path)> Seen => Events.Select(e => ((EventType)e.Type, e.Path!)).ToList();

    public void Process(WatcherEvent evt) => Events.Add(evt);

    public override string ToString() => name;
}
