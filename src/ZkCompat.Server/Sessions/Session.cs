namespace ZkCompat.Server.Sessions;

/// <summary>A client session as the tracker sees it (Java's <c>SessionTrackerImpl.SessionImpl</c>).</summary>
public sealed class Session
{
    private volatile bool _isClosing;
    private volatile object? _owner;

    internal Session(long id, int timeout)
    {
        Id = id;
        Timeout = timeout;
    }

    public long Id { get; }

    /// <summary>The negotiated timeout in ms, fixed when the session is first tracked.</summary>
    public int Timeout { get; }

    /// <summary>Set once expiry or a closeSession has begun: the session takes no more requests.</summary>
    public bool IsClosing { get => _isClosing; internal set => _isClosing = value; }

    /// <summary>Which connection (or learner) currently serves the session; requests from another are SESSIONMOVED.</summary>
    public object? Owner { get => _owner; internal set => _owner = value; }

    public override string ToString() => "0x" + Id.ToString("x");
}

/// <summary>Told about each expired session; the server answers by submitting a closeSession request.</summary>
public interface ISessionExpirer
{
    void Expire(Session session);
}
