namespace ZkCompat.Server.Watches;

/// <summary>
/// Walks a validated absolute path and then each of its ancestors up to "/":
/// "/a/b", "/a", "/". With <c>pathOnly</c> it stops after the path itself, which is all a
/// trigger needs while no recursive watch exists. Drive it with <c>while (it.MoveNext())</c> so
/// that <see cref="AtParentPath"/> can be read along the way.
/// </summary>
public struct PathParentIterator
{
    private string _next;
    private readonly bool _pathOnly;
    private int _level;

    public PathParentIterator(string path, bool pathOnly = false)
    {
        _next = path;
        _pathOnly = pathOnly;
        _level = -1;
        Current = "";
    }

    public string Current { get; private set; }

    /// <summary>True once <see cref="Current"/> is an ancestor rather than the starting path.</summary>
    public readonly bool AtParentPath => _level > 0;

    public bool MoveNext()
    {
        if (_next.Length == 0 || (_pathOnly && _level >= 0)) return false;
        Current = _next;
        _level++;
        if (_next == "/")
        {
            _next = "";
        }
        else
        {
            int slash = _next.LastIndexOf('/');
            _next = slash <= 0 ? "/" : _next[..slash];
        }
        return true;
    }
}
