using ZkCompat.Protocol;

namespace ZkCompat.Server.Watches;

/// <summary>How a registered watch behaves when it fires.</summary>
public enum WatcherMode
{
    /// <summary>One-shot, on the path itself (getData/exists/getChildren with watch).</summary>
    Standard,

    /// <summary>Stays after firing, on the path itself (addWatch mode 0).</summary>
    Persistent,

    /// <summary>Stays after firing, on the path and every descendant, except NodeChildrenChanged (addWatch mode 1).</summary>
    PersistentRecursive,
}

public static class WatcherModeExtensions
{
    public static bool IsPersistent(this WatcherMode mode) => mode is not WatcherMode.Standard;

    public static bool IsRecursive(this WatcherMode mode) => mode is WatcherMode.PersistentRecursive;

    /// <summary>
    /// Maps the addWatch request's mode; anything but 0 and 1 is refused like Java's
    /// <c>WatcherMode.fromZooDef</c> (which throws IllegalArgumentException).
    /// </summary>
    public static bool TryFromAddWatchMode(int mode, out WatcherMode watcherMode)
    {
        switch ((AddWatchMode)mode)
        {
            case AddWatchMode.Persistent:
                watcherMode = WatcherMode.Persistent;
                return true;
            case AddWatchMode.PersistentRecursive:
                watcherMode = WatcherMode.PersistentRecursive;
                return true;
            default:
                watcherMode = WatcherMode.Standard;
                return false;
        }
    }

    /// <inheritdoc cref="TryFromAddWatchMode"/>
    public static WatcherMode FromAddWatchMode(int mode) =>
        TryFromAddWatchMode(mode, out var watcherMode)
            ? watcherMode
            : throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unsupported mode: " + mode);
}
