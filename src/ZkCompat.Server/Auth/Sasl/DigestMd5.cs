using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// The pieces of RFC 2831 (DIGEST-MD5) both sides use, with the JDK provider's exact choices:
/// directive lists as it parses and writes them, its 40-character nonces, and the response value
/// (<c>KD(HEX(H(A1)), nonce:nc:cnonce:qop:HEX(H(A2)))</c> with <c>md5-sess</c>).
/// </summary>
public static class DigestMd5
{
    /// <summary>Longest client response the JDK server accepts (RFC 2831 §2.1.2).</summary>
    public const int MaxResponseLength = 4096;

    /// <summary>maxbuf when a peer does not say (RFC 2831).</summary>
    public const int DefaultMaxBuf = 65536;

    // 30 random bytes, base64 without padding: the JDK's nonce and cnonce size.
    private const int RawNonceSize = 30;

    private const string SecurityLayerMarker = ":00000000000000000000000000000000";

    /// <summary>
    /// Splits <c>key=value, key="quoted \" value", ...</c> into the values of <paramref name="keys"/>
    /// (matched ignoring case; others are ignored). A key given twice, an unterminated quote, a key
    /// without '=' or a value glued to a closing quote is a <see cref="SaslException"/>.
    /// </summary>
    public static byte[]?[] ParseDirectives(ReadOnlySpan<byte> buf, IReadOnlyList<string> keys)
    {
        var values = new byte[]?[keys.Count];
        var key = new ArrayBufferWriter<byte>(16);
        var value = new ArrayBufferWriter<byte>(32);
        bool gettingKey = true;
        bool quoted = false;
        bool expectSeparator = false;
        int i = SkipLws(buf, 0);
        while (i < buf.Length)
        {
            byte b = buf[i];
            if (gettingKey)
            {
                if (b == ',')
                {
                    if (key.WrittenCount != 0) throw new SaslException("Directive key contains a ',':" + Text(key));
                    i = SkipLws(buf, i + 1);
                }
                else if (b == '=')
                {
                    if (key.WrittenCount == 0) throw new SaslException("Empty directive key");
                    gettingKey = false;
                    i = SkipLws(buf, i + 1);
                    if (i >= buf.Length) throw new SaslException("Valueless directive found: " + Text(key));
                    if (buf[i] == '"')
                    {
                        quoted = true;
                        i++;
                    }
                }
                else if (IsLws(b))
                {
                    i = SkipLws(buf, i + 1);
                    if (i >= buf.Length || buf[i] != '=') throw new SaslException("'=' expected after key: " + Text(key));
                }
                else
                {
                    Append(key, b);
                    i++;
                }
            }
            else if (quoted)
            {
                if (b == '\\')
                {
                    i++;
                    if (i >= buf.Length)
                        throw new SaslException("Unmatched quote found for directive: " + Text(key) + " with value: " + Text(value));
                    Append(value, buf[i]);
                    i++;
                }
                else if (b == '"')
                {
                    i++;
                    quoted = false;
                    expectSeparator = true;
                }
                else
                {
                    Append(value, b);
                    i++;
                }
            }
            else if (IsLws(b) || b == ',')
            {
                Extract(Text(key), value.WrittenSpan.ToArray(), keys, values);
                key.ResetWrittenCount();
                value.ResetWrittenCount();
                gettingKey = true;
                quoted = expectSeparator = false;
                i = SkipLws(buf, i + 1);
            }
            else if (expectSeparator)
            {
                throw new SaslException("Expecting comma or linear whitespace after quoted string: \"" + Text(value) + "\"");
            }
            else
            {
                Append(value, b);
                i++;
            }
        }
        if (quoted) throw new SaslException("Unmatched quote found for directive: " + Text(key) + " with value: " + Text(value));
        // The last pair; like the JDK, a trailing bare key counts with an empty value.
        if (key.WrittenCount > 0) Extract(Text(key), value.WrittenSpan.ToArray(), keys, values);
        return values;
    }

    private static void Extract(string key, byte[] value, IReadOnlyList<string> keys, byte[]?[] values)
    {
        for (int k = 0; k < keys.Count; k++)
        {
            if (!key.Equals(keys[k], StringComparison.OrdinalIgnoreCase)) continue;
            if (values[k] is not null)
                throw new SaslException("DIGEST-MD5: peer sent more than one " + key + " directive: " + Encoding.UTF8.GetString(value));
            values[k] = value;
            return;
        }
    }

    private static void Append(ArrayBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    private static string Text(ArrayBufferWriter<byte> w) => Encoding.UTF8.GetString(w.WrittenSpan);

    // RFC 2831 LWS, byte by byte as the JDK checks it.
    private static bool IsLws(byte b) => b is 13 or 10 or 32 or 9;

    private static int SkipLws(ReadOnlySpan<byte> buf, int start)
    {
        int i = start;
        while (i < buf.Length && IsLws(buf[i])) i++;
        return i;
    }

    /// <summary>Whether a byte is written as <c>\x</c> inside a quoted value: '"', '\\', DEL, and controls but CR, HT and LF.</summary>
    public static bool NeedsEscape(byte b) => b is (byte)'"' or (byte)'\\' or 127 || (b <= 31 && b is not (13 or 9 or 10));

    /// <summary>Writes <paramref name="value"/> for inside double quotes.</summary>
    public static void WriteQuoted(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (NeedsEscape(b)) WriteByte(output, (byte)'\\');
            WriteByte(output, b);
        }
    }

    internal static void WriteByte(IBufferWriter<byte> output, byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    internal static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        int n = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, output.GetSpan(n));
        output.Advance(n);
    }

    /// <summary>A nonce as the JDK makes one: 30 random bytes in base64, 40 characters, no padding.</summary>
    public static byte[] GenerateNonce()
    {
        Span<byte> raw = stackalloc byte[RawNonceSize];
        RandomNumberGenerator.Fill(raw);
        return Encoding.ASCII.GetBytes(Convert.ToBase64String(raw));
    }

    /// <summary>The 8 lowercase hex digits of a nonce count.</summary>
    public static string NonceCountHex(int count) => count.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// RFC 2831's rule for user name, realm and password in A1: ISO-8859-1 when every character fits,
    /// otherwise UTF-8 (the charset=utf-8 case, which the JDK server always offers).
    /// </summary>
    public static byte[] Latin1OrUtf8(string s)
    {
        foreach (char c in s)
        {
            if (c > '\u00FF') return Encoding.UTF8.GetBytes(s);
        }
        return Encoding.Latin1.GetBytes(s);
    }

    /// <summary>
    /// The response value (32 lowercase hex digits as bytes). <paramref name="authMethod"/> is
    /// "AUTHENTICATE" for the client's <c>response</c> and "" for the server's <c>rspauth</c>.
    /// </summary>
    public static byte[] ResponseValue(
        string authMethod,
        string digestUri,
        string qop,
        string username,
        string realm,
        string password,
        ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> cnonce,
        int nonceCount,
        ReadOnlySpan<byte> authzid,
        bool hasAuthzid)
    {
        var a2 = new ArrayBufferWriter<byte>(64);
        WriteAscii(a2, authMethod + ":" + digestUri);
        if (qop is "auth-int" or "auth-conf") WriteAscii(a2, SecurityLayerMarker);
        byte[] hexA2 = Hex(MD5.HashData(a2.WrittenSpan));

        var secret = new ArrayBufferWriter<byte>(64);
        secret.Write(Latin1OrUtf8(username));
        WriteByte(secret, (byte)':');
        secret.Write(Latin1OrUtf8(realm));
        WriteByte(secret, (byte)':');
        secret.Write(Latin1OrUtf8(password));
        byte[] secretHash = MD5.HashData(secret.WrittenSpan);
        secret.Clear(); // the password's bytes do not linger

        var a1 = new ArrayBufferWriter<byte>(128);
        a1.Write(secretHash);
        WriteByte(a1, (byte)':');
        a1.Write(nonce);
        WriteByte(a1, (byte)':');
        a1.Write(cnonce);
        if (hasAuthzid)
        {
            WriteByte(a1, (byte)':');
            a1.Write(authzid);
        }
        byte[] hexA1 = Hex(MD5.HashData(a1.WrittenSpan));

        var kd = new ArrayBufferWriter<byte>(160);
        kd.Write(hexA1);
        WriteByte(kd, (byte)':');
        kd.Write(nonce);
        WriteByte(kd, (byte)':');
        WriteAscii(kd, NonceCountHex(nonceCount));
        WriteByte(kd, (byte)':');
        kd.Write(cnonce);
        WriteByte(kd, (byte)':');
        WriteAscii(kd, qop);
        WriteByte(kd, (byte)':');
        kd.Write(hexA2);
        return Hex(MD5.HashData(kd.WrittenSpan));
    }

    /// <summary>Lowercase hex of a digest, as ASCII bytes.</summary>
    public static byte[] Hex(ReadOnlySpan<byte> digest) => Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest));
}
