using System.Text;

namespace ZkCompat.Jute;

/// <summary>
/// The ustring encoding of Java's <c>BinaryOutputArchive</c>: every UTF-16 code unit is written on
/// its own in 1, 2 or 3 bytes. For text without surrogates that is plain UTF-8; a surrogate pair
/// becomes two 3-byte sequences (CESU-8 style) instead of one 4-byte sequence. Reading is plain
/// UTF-8 with replacement characters, as Java's <c>new String(bytes, UTF_8)</c> does.
/// </summary>
public static class JuteStrings
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static int GetByteCount(string value)
    {
        if (!HasSurrogates(value)) return Utf8.GetByteCount(value);
        int count = 0;
        foreach (char c in value) count += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        return count;
    }

    /// <summary>Encodes into <paramref name="destination"/>, which must hold <see cref="GetByteCount"/> bytes.</summary>
    public static int Encode(string value, Span<byte> destination)
    {
        if (!HasSurrogates(value)) return Utf8.GetBytes(value, destination);
        int n = 0;
        foreach (char c in value)
        {
            if (c < 0x80)
            {
                destination[n++] = (byte)c;
            }
            else if (c < 0x800)
            {
                destination[n++] = (byte)(0xC0 | (c >> 6));
                destination[n++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                destination[n++] = (byte)(0xE0 | (c >> 12));
                destination[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                destination[n++] = (byte)(0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    public static byte[] Encode(string value)
    {
        var bytes = new byte[GetByteCount(value)];
        Encode(value, bytes);
        return bytes;
    }

    public static string Decode(ReadOnlySpan<byte> bytes) => Utf8.GetString(bytes);

    private static bool HasSurrogates(string value) =>
        value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
}
