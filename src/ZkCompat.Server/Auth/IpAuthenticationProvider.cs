using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth;

/// <summary>
/// The "ip" scheme. Every connection carries <c>ip:&lt;remote address&gt;</c>; an ACL id is
/// <c>a.b.c.d</c> or <c>a.b.c.d/bits</c>. Java 3.8's provider only understands IPv4 (its IPv6 parser
/// was never written), so an IPv6 ACL id is invalid and an IPv6 client matches no ip ACL; this
/// provider keeps that behaviour so ACLs mean the same on both servers.
/// </summary>
public sealed class IpAuthenticationProvider : IAuthenticationProvider
{
    public string Scheme => "ip";

    public bool IsAuthenticated => false;

    public ErrorCode HandleAuthentication(ReadOnlySpan<byte> authData, IList<Id> connectionIds, EndPoint? remote)
    {
        if (remote is null) return ErrorCode.AuthFailed;
        DigestAuthenticationProvider.AddOnce(connectionIds, ConnectionId(remote));
        return ErrorCode.Ok;
    }

    public bool IsValid(string id)
    {
        string[] parts = JavaText.Split(id, '/', 2);
        byte[]? address = ParseV4(parts[0]);
        if (address is null) return false;
        return parts.Length != 2 || TryParseBits(parts[1], address.Length, out _);
    }

    public bool Matches(string id, string aclExpr)
    {
        string[] parts = JavaText.Split(aclExpr, '/', 2);
        byte[]? aclAddress = ParseV4(parts[0]);
        if (aclAddress is null) return false;
        int bits = aclAddress.Length * 8;
        if (parts.Length == 2 && !TryParseBits(parts[1], aclAddress.Length, out bits)) return false;
        byte[]? remote = ParseV4(id);
        if (remote is null) return false;
        Mask(aclAddress, bits);
        Mask(remote, bits);
        return remote.AsSpan().SequenceEqual(aclAddress);
    }

    /// <summary>The id a connection from <paramref name="remote"/> starts with.</summary>
    public static Id ConnectionId(EndPoint remote) => new("ip", HostAddress(remote));

    /// <summary>The address as Java's <c>InetAddress.getHostAddress</c> prints it.</summary>
    public static string HostAddress(EndPoint remote) => remote switch
    {
        IPEndPoint ip => HostAddress(ip.Address),
        DnsEndPoint dns => dns.Host,
        _ => remote.ToString() ?? "",
    };

    /// <summary>
    /// IPv4 dotted quad (also for IPv4-mapped IPv6, which Java turns into Inet4Address); IPv6 as
    /// eight uncompressed lowercase hex groups, plus %scope when there is one.
    /// </summary>
    public static string HostAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        byte[] b = address.GetAddressBytes();
        var sb = new StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            if (i > 0) sb.Append(':');
            sb.Append(((b[2 * i] << 8) | b[2 * i + 1]).ToString("x", CultureInfo.InvariantCulture));
        }
        if (address.ScopeId != 0) sb.Append('%').Append(address.ScopeId.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    // Four Integer.parseInt parts in 0..255 ("+1" and "010" pass, as in Java); anything else is null.
    private static byte[]? ParseV4(string text)
    {
        string[] parts = JavaText.Split(text, '.', -1);
        if (parts.Length != 4) return null;
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (!JavaText.TryParseInt(parts[i], out int v) || v is < 0 or > 255) return null;
            bytes[i] = (byte)v;
        }
        return bytes;
    }

    private static bool TryParseBits(string text, int addressLength, out int bits) =>
        JavaText.TryParseInt(text, out bits) && bits >= 0 && bits <= addressLength * 8;

    private static void Mask(byte[] address, int bits)
    {
        int start = bits / 8;
        int startMask = ~((1 << (8 - bits % 8)) - 1);
        for (; start < address.Length; start++)
        {
            address[start] = (byte)(address[start] & startMask);
            startMask = 0;
        }
    }
}
