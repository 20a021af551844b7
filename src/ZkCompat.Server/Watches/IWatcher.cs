using ZkCompat.Protocol.Proto;

namespace ZkCompat.Server.Watches;

/// <summary>
/// Something that receives watch notifications: in the server, a client connection.
/// Watchers are told apart by reference identity, never by <see cref="object.Equals(object)"/>.
/// </summary>
public interface IWatcher
{
    /// <summary>
    /// Delivers one event (<c>State</c> is 3, SyncConnected). Called on the thread that applies
    /// transactions, outside any lock of the watch manager, so it should only enqueue.
    /// </summary>
    void Process(WatcherEvent evt);

    /// <summary>
    /// True once the connection is closed: new watches are then refused, so a read racing with
    /// the close cannot leave a watch behind (Java checks <c>ServerCnxn.isStale</c>).
    /// </summary>
    bool IsStale => false;
}
