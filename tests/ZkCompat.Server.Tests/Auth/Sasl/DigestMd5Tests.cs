using System.Buffers;
using System.Text;
using ZkCompat.Server.Auth.Sasl;

namespace ZkCompat.Server.Tests.Auth.Sasl;

public class DigestMd5Tests
{
    // RFC 2831 §4, both examples: user chris, password secret, realm elwood.innosoft.com.
    [TestCase("OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "imap/elwood.innosoft.com", "AUTHENTICATE", "d388dad90d4bbd760a152321f2143af7")]
    [TestCase("OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "imap/elwood.innosoft.com", "", "ea40f60335c427b5527b84dbabcdfffd")]
    [TestCase("OA9BSXrbuRhWay", "OA9BSuZWMSpW8m", "acap/elwood.innosoft.com", "AUTHENTICATE", "6084c6db3fede7352c551284490fd0fc")]
    [TestCase("OA9BSXrbuRhWay", "OA9BSuZWMSpW8m", "acap/elwood.innosoft.com", "", "2f0b3d7c3c2e486600ef710726aa2eae")]
    public void Response_value_matches_the_rfc_2831_examples(string nonce, string cnonce, string uri, string method, string expected)
    {
        byte[] value = DigestMd5.ResponseValue(method, uri, "auth", "chris", "elwood.innosoft.com", "secret",
            Encoding.ASCII.GetBytes(nonce), Encoding.ASCII.GetBytes(cnonce), 1, [], hasAuthzid: false);
        Assert.That(Encoding.ASCII.GetString(value), Is.EqualTo(expected));
    }

    [Test]
    public void Authzid_joins_a1_even_when_empty()
    {
        byte[] none = DigestMd5.ResponseValue("AUTHENTICATE", "zookeeper/zk-sasl-md5", "auth", "bob", "zk-sasl-md5", "pw", "n"u8, "c"u8, 1, [], false);
        byte[] empty = DigestMd5.ResponseValue("AUTHENTICATE", "zookeeper/zk-sasl-md5", "auth", "bob", "zk-sasl-md5", "pw", "n"u8, "c"u8, 1, [], true);
        byte[] bob = DigestMd5.ResponseValue("AUTHENTICATE", "zookeeper/zk-sasl-md5", "auth", "bob", "zk-sasl-md5", "pw", "n"u8, "c"u8, 1, "bob"u8, true);
        Assert.That(none, Is.Not.EqualTo(empty));
        Assert.That(bob, Is.Not.EqualTo(none));
        Assert.That(bob, Has.Length.EqualTo(32));
    }

    [Test]
    public void Latin1_is_used_in_a1_unless_a_character_needs_utf8()
    {
        Assert.That(DigestMd5.Latin1OrUtf8("jos\u00e9"), Is.EqualTo(new byte[] { (byte)'j', (byte)'o', (byte)'s', 0xE9 }));
        Assert.That(DigestMd5.Latin1OrUtf8("\u20ac"), Is.EqualTo(new byte[] { 0xE2, 0x82, 0xAC }));
    }

    [Test]
    public void Nonce_is_forty_base64_characters()
    {
        byte[] nonce = DigestMd5.GenerateNonce();
        Assert.That(nonce, Has.Length.EqualTo(40));
        Assert.That(Encoding.ASCII.GetString(nonce), Does.Match("^[A-Za-z0-9+/]{40}$"));
        Assert.That(DigestMd5.GenerateNonce(), Is.Not.EqualTo(nonce));
    }

    private static readonly string[] Keys = ["username", "realm", "nonce", "qop"];

    [Test]
    public void Directives_are_parsed_quoted_and_unquoted_with_escapes_and_whitespace()
    {
        var values = DigestMd5.ParseDirectives(" USERNAME = \"b\\\"o\\\\b\" ,, realm=\"zk\"\r\n , other=x,qop=auth "u8, Keys);
        Assert.That(Encoding.UTF8.GetString(values[0]!), Is.EqualTo("b\"o\\b"));
        Assert.That(Encoding.UTF8.GetString(values[1]!), Is.EqualTo("zk"));
        Assert.That(values[2], Is.Null);
        Assert.That(Encoding.UTF8.GetString(values[3]!), Is.EqualTo("auth"));
    }

    [Test]
    public void A_trailing_bare_key_counts_with_an_empty_value()
    {
        var values = DigestMd5.ParseDirectives("qop=auth,username"u8, Keys);
        Assert.That(values[0], Is.Empty);
    }

    [TestCase("username=a,username=b", "more than one")]
    [TestCase("username=\"abc", "Unmatched quote")]
    [TestCase("username=\"abc\\", "Unmatched quote")]
    [TestCase("username=\"a\"b", "Expecting comma")]
    [TestCase("user,name=a", "contains a ','")]
    [TestCase("=a", "Empty directive key")]
    [TestCase("username=", "Valueless directive")]
    [TestCase("username x", "'=' expected")]
    public void Malformed_directives_fail_as_in_the_jdk(string text, string message)
    {
        var e = Assert.Throws<SaslException>(() => DigestMd5.ParseDirectives(Encoding.UTF8.GetBytes(text), Keys));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Quoted_values_escape_quote_backslash_del_and_controls_but_not_crlf_or_tab()
    {
        var output = new ArrayBufferWriter<byte>();
        DigestMd5.WriteQuoted(output, [(byte)'a', (byte)'"', (byte)'\\', 127, 1, 9, 10, 13]);
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { (byte)'a', 92, (byte)'"', 92, 92, 92, 127, 92, 1, 9, 10, 13 }));
    }
}
