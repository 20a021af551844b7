using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ZkCompat.Server.Tests.Auth.Sasl;

/// <summary>
/// A small DIGEST-MD5 client written independently of the server's code: it answers a challenge the
/// way the JDK's DigestMD5Client does for ZooKeeper (charset, username, realm, nonce, nc, cnonce,
/// digest-uri, maxbuf, response, qop, authzid, in that order) and checks the server's rspauth.
/// </summary>
public sealed partial class DigestMd5TestClient(string username, string password, string? authzid = "same", string digestUri = "zookeeper/zk-sasl-md5")
{
    private readonly string? _authzid = authzid == "same" ? username : authzid;
    private string _realm = "";
    private string _nonce = "";
    private string _cnonce = "";

    /// <summary>The cnonce to use; random (like Java's) unless a test fixes it.</summary>
    public string Cnonce { get; init; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));

    public bool Complete { get; private set; }

    /// <summary>What Java's client sends first: nothing (DIGEST-MD5 has no initial response).</summary>
    public static byte[] InitialResponse => [];

    public byte[] EvaluateChallenge(byte[] challenge)
    {
        var directives = Parse(Encoding.UTF8.GetString(challenge));
        if (directives.TryGetValue("rspauth", out string? rspauth))
        {
            string expected = Response("");
            if (rspauth != expected) throw new InvalidOperationException($"rspauth {rspauth} != expected {expected}");
            Complete = true;
            return [];
        }
        if (directives.GetValueOrDefault("algorithm") != "md5-sess") throw new InvalidOperationException("no md5-sess in " + Encoding.UTF8.GetString(challenge));
        _realm = directives.GetValueOrDefault("realm") ?? "";
        _nonce = directives["nonce"];
        _cnonce = Cnonce;
        var sb = new StringBuilder();
        sb.Append("charset=utf-8,");
        sb.Append("username=\"").Append(Quote(username)).Append("\",");
        if (_realm.Length > 0) sb.Append("realm=\"").Append(Quote(_realm)).Append("\",");
        sb.Append("nonce=\"").Append(Quote(_nonce)).Append("\",");
        sb.Append("nc=00000001,");
        sb.Append("cnonce=\"").Append(Quote(_cnonce)).Append("\",");
        sb.Append("digest-uri=\"").Append(digestUri).Append("\",");
        sb.Append("maxbuf=65536,");
        sb.Append("response=").Append(Response("AUTHENTICATE")).Append(',');
        sb.Append("qop=auth");
        if (_authzid is not null) sb.Append(",authzid=\"").Append(Quote(_authzid)).Append('"');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private string Response(string method)
    {
        static string Hex(byte[] b) => Convert.ToHexStringLower(b);
        byte[] inner = MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{_realm}:{password}"));
        string a1Tail = $":{_nonce}:{_cnonce}" + (_authzid is null ? "" : ":" + _authzid);
        byte[] a1 = [.. inner, .. Encoding.UTF8.GetBytes(a1Tail)];
        string ha1 = Hex(MD5.HashData(a1));
        string ha2 = Hex(MD5.HashData(Encoding.UTF8.GetBytes($"{method}:{digestUri}")));
        return Hex(MD5.HashData(Encoding.UTF8.GetBytes($"{ha1}:{_nonce}:00000001:{_cnonce}:auth:{ha2}")));
    }

    private static string Quote(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in DirectivePattern().Matches(text))
        {
            string value = m.Groups["q"].Success ? m.Groups["q"].Value.Replace("\\\"", "\"", StringComparison.Ordinal) : m.Groups["u"].Value;
            result[m.Groups["k"].Value] = value;
        }
        return result;
    }

    [GeneratedRegex("""(?<k>[A-Za-z-]+)=(?:"(?<q>(?:[^"\\]|\\.)*)"|(?<u>[^,]*))""")]
    private static partial Regex DirectivePattern();
}
