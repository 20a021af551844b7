using System.Buffers;
using System.Text;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>One side of a SASL exchange on a connection (Java's <c>javax.security.sasl.SaslServer</c>).</summary>
public interface ISaslServer
{
    string MechanismName { get; }

    /// <summary>
    /// Takes the client's token and returns the next challenge (the final one once
    /// <see cref="IsComplete"/>). Throws <see cref="SaslException"/> when authentication fails and
    /// <see cref="SaslProtocolException"/> for input Java's server would crash on.
    /// </summary>
    byte[] EvaluateResponse(ReadOnlySpan<byte> response);

    bool IsComplete { get; }

    /// <summary>Who the client is once complete; the id its session gets in the "sasl" scheme.</summary>
    string AuthorizationId { get; }
}

/// <summary>
/// The DIGEST-MD5 server the JDK provides, as ZooKeeper creates it (no properties: qop "auth" only,
/// charset utf-8, the server name as the only realm). Step 1 answers any first token with a challenge
/// <c>realm="…",nonce="…",charset=utf-8,algorithm=md5-sess</c>; step 3 checks the digest-response and
/// answers <c>rspauth=…</c>. After step 3, success or not, every further token is refused.
/// A pure state machine: the nonce source and the credentials come in from outside.
/// </summary>
public sealed class DigestMd5Server : ISaslServer
{
    /// <summary>The directives of a digest-response the JDK looks for (note: "nonce-count", not "nc").</summary>
    private static readonly string[] DirectiveKeys =
    [
        "username", "realm", "nonce", "cnonce", "nonce-count", "qop", "digest-uri", "response", "maxbuf", "charset",
        "cipher", "authzid", "auth-param",
    ];

    private const int Username = 0;
    private const int Realm = 1;
    private const int Nonce = 2;
    private const int Cnonce = 3;
    private const int NonceCount = 4;
    private const int Qop = 5;
    private const int DigestUri = 6;
    private const int Response = 7;
    private const int MaxBuf = 8;
    private const int Charset = 9;
    private const int Authzid = 11;

    // Only initial authentication is supported, so the nonce count is always 1.
    private const int NonceCountValue = 1;

    private readonly string _serverRealm;
    private readonly SaslServerCallbackHandler _callbacks;
    private readonly Func<byte[]> _nonceSource;
    private string _digestUri;
    private byte[] _nonce = [];
    private int _step = 1;
    private string? _authorizationId;

    /// <param name="protocol">"zookeeper" for client connections.</param>
    /// <param name="serverName">"zk-sasl-md5" for client connections; also the realm offered.</param>
    /// <param name="callbacks">Passwords and the authorization rule.</param>
    /// <param name="nonceSource">Makes the nonce (default: 30 random bytes in base64); tests pass a fixed one.</param>
    public DigestMd5Server(string protocol, string serverName, SaslServerCallbackHandler callbacks, Func<byte[]>? nonceSource = null)
    {
        _digestUri = protocol + "/" + serverName;
        _serverRealm = serverName;
        _callbacks = callbacks;
        _nonceSource = nonceSource ?? DigestMd5.GenerateNonce;
    }

    public string MechanismName => "DIGEST-MD5";

    public bool IsComplete { get; private set; }

    public string AuthorizationId =>
        IsComplete ? _authorizationId! : throw new InvalidOperationException("DIGEST-MD5 server negotiation not complete");

    /// <summary>The digest-uri the client used (its own letter case) once complete.</summary>
    public string NegotiatedDigestUri => _digestUri;

    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        if (response.Length > DigestMd5.MaxResponseLength)
        {
            throw new SaslException(
                $"DIGEST-MD5: Invalid digest response length. Got:  {response.Length} Expected < {DigestMd5.MaxResponseLength}");
        }
        switch (_step)
        {
            case 1:
                // A first token is ignored: "subsequent authentication" is not supported (RFC 2831 §2.2).
                _step = 3;
                return GenerateChallenge();
            case 3:
                try
                {
                    var values = DigestMd5.ParseDirectives(response, DirectiveKeys);
                    byte[] challenge = ValidateClientResponse(values);
                    IsComplete = true;
                    return challenge;
                }
                finally
                {
                    _step = 0;
                }
            default:
                throw new SaslException("DIGEST-MD5: Server at illegal state");
        }
    }

    private byte[] GenerateChallenge()
    {
        var output = new ArrayBufferWriter<byte>(128);
        DigestMd5.WriteAscii(output, "realm=\"");
        DigestMd5.WriteQuoted(output, Encoding.UTF8.GetBytes(_serverRealm));
        DigestMd5.WriteAscii(output, "\",nonce=\"");
        _nonce = _nonceSource();
        DigestMd5.WriteQuoted(output, _nonce);
        // No qop directive (the default, "auth") and no maxbuf (the default, 65536).
        DigestMd5.WriteAscii(output, "\",charset=utf-8,algorithm=md5-sess");
        return output.WrittenSpan.ToArray();
    }

    private byte[] ValidateClientResponse(byte[]?[] values)
    {
        if (values[Charset] is { } charset && Utf8(charset) != "utf-8")
        {
            throw new SaslException("DIGEST-MD5: digest response format violation. Incompatible charset value: " + Utf8(charset));
        }
        if (values[MaxBuf] is { } maxBuf && !JavaInt(Utf8(maxBuf), 10, out _))
            throw new SaslProtocolException("For input string: \"" + Utf8(maxBuf) + "\"");

        string username = values[Username] is { } user
            ? Utf8(user)
            : throw new SaslException("DIGEST-MD5: digest response format violation. Missing username.");

        string realm = values[Realm] is { } r ? Utf8(r) : "";
        if (realm != _serverRealm)
            throw new SaslException("DIGEST-MD5: digest response format violation. Nonexistent realm: " + realm);

        byte[] nonce = values[Nonce] ?? throw new SaslException("DIGEST-MD5: digest response format violation. Missing nonce.");
        if (!nonce.AsSpan().SequenceEqual(_nonce))
            throw new SaslException("DIGEST-MD5: digest response format violation. Mismatched nonce.");

        byte[] cnonce = values[Cnonce] ?? throw new SaslException("DIGEST-MD5: digest response format violation. Missing cnonce.");

        if (values[NonceCount] is { } nc)
        {
            if (!JavaInt(Utf8(nc), 16, out int count)) throw new SaslProtocolException("For input string: \"" + Utf8(nc) + "\"");
            if (count != NonceCountValue)
                throw new SaslException("DIGEST-MD5: digest response format violation. Nonce count does not match: " + Utf8(nc));
        }

        string qop = values[Qop] is { } q ? Utf8(q) : "auth";
        switch (qop)
        {
            case "auth":
                break;
            case "auth-int":
            case "auth-conf":
                // Integrity and privacy layers exist in the JDK but ZooKeeper never offers them.
                throw new SaslException("DIGEST-MD5: server does not support  qop: " + qop);
            default:
                throw new SaslException("DIGEST-MD5: digest response format violation. Invalid QOP: " + qop);
        }

        string? uri = values[DigestUri] is { } u ? Utf8(u) : null;
        if (!string.Equals(_digestUri, uri, StringComparison.OrdinalIgnoreCase))
        {
            throw new SaslException(
                $"DIGEST-MD5: digest response format violation. Mismatched URI: {uri ?? "null"}; expecting: {_digestUri}");
        }
        // Later digests use the client's spelling of the URI.
        _digestUri = uri!;

        byte[] clientResponse = values[Response] ?? throw new SaslException("DIGEST-MD5: digest response format  violation. Missing response.");
        byte[]? authzidBytes = values[Authzid];
        string requestedAuthzid = authzidBytes is null ? username : Utf8(authzidBytes);

        string password = _callbacks.GetPassword(username)
            ?? throw new SaslException("DIGEST-MD5: cannot acquire password for " + username + " in realm : " + realm);

        byte[] expected = DigestMd5.ResponseValue("AUTHENTICATE", _digestUri, qop, username, realm, password, _nonce, cnonce,
            NonceCountValue, authzidBytes, authzidBytes is not null);
        if (!clientResponse.AsSpan().SequenceEqual(expected))
            throw new SaslException("DIGEST-MD5: digest response format violation. Mismatched response.");

        _authorizationId = _callbacks.Authorize(username, requestedAuthzid);

        byte[] rspauth = DigestMd5.ResponseValue("", _digestUri, qop, username, realm, password, _nonce, cnonce,
            NonceCountValue, authzidBytes, authzidBytes is not null);
        return [.. "rspauth="u8, .. rspauth];
    }

    // Directive values are text in the negotiated charset, which is always UTF-8 here.
    private static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static bool JavaInt(string s, int radix, out int value)
    {
        value = 0;
        if (!Config.JavaText.TryParseLong(s, radix, out long wide) || wide is < int.MinValue or > int.MaxValue) return false;
        value = (int)wide;
        return true;
    }
}
