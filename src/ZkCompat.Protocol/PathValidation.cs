namespace ZkCompat.Protocol;

/// <summary>
/// Znode path rules as Java's <c>PathUtils.validatePath</c> applies them: absolute, no trailing
/// slash (except the root), no empty, "." or ".." segments, no NUL or control characters, and no
/// characters in the ranges Java rejects (C1 controls, surrogates and the private use area,
/// U+FFF0..U+FFFF).
/// </summary>
public static class PathValidation
{
    /// <summary>Returns null when valid, else Java's reason text.</summary>
    public static string? Validate(string? path, bool isSequential = false)
    {
        if (path is null) return "Path cannot be null";
        // Sequential creates are checked with a digit appended, so "/a/" is fine there.
        if (isSequential) path += "1";
        if (path.Length == 0) return "Path length must be > 0";
        if (path[0] != '/') return "Path must start with / character";
        if (path.Length == 1) return null;
        if (path[^1] == '/') return "Path must not end with / character";

        char last = '/';
        for (int i = 1; i < path.Length; last = path[i], i++)
        {
            char c = path[i];
            string? reason = null;
            if (c == 0)
                reason = "null character not allowed @" + i;
            else if (c == '/' && last == '/')
                reason = "empty node name specified @" + i;
            else if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                    reason = "relative paths not allowed @" + i;
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                    reason = "relative paths not allowed @" + i;
            }
            else if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f'
                     or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
            {
                reason = "invalid character @" + i;
            }
            if (reason is not null) return $"Invalid path string \"{path}\" caused by {reason}";
        }
        return null;
    }

    public static bool IsValid(string? path, bool isSequential = false) => Validate(path, isSequential) is null;

    /// <summary>The parent of an absolute path ("/" for top-level nodes).</summary>
    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>The last segment of an absolute path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}
