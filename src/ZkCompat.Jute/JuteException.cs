namespace ZkCompat.Jute;

/// <summary>Base of every decoding failure: the input is not a valid jute record.</summary>
public class JuteException : IOException
{
    public JuteException(string message) : base(message) { }
}

/// <summary>The input ended inside a record (Java: <c>EOFException</c>).</summary>
public sealed class JuteEndOfStreamException : JuteException
{
    public JuteEndOfStreamException(string what, long needed, long available)
        : base($"Unexpected end of input reading {what}: needed {needed} bytes, {available} left")
    {
        What = what;
        Needed = needed;
        Available = available;
    }

    public string What { get; }
    public long Needed { get; }
    public long Available { get; }
}

/// <summary>
/// A length prefix outside what Java accepts: negative (other than -1 for null) or over
/// <c>jute.maxbuffer</c> plus its extra allowance. Raised before anything is allocated.
/// </summary>
public sealed class JuteLengthException : JuteException
{
    public JuteLengthException(string what, long length, long limit)
        : base($"Unreasonable length = {length} reading {what} (limit {limit})")
    {
        What = what;
        Length = length;
        Limit = limit;
    }

    public string What { get; }
    public long Length { get; }
    public long Limit { get; }
}
