using System.Security.Cryptography.X509Certificates;
using ZkCompat.Server.Network.Tls;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>
/// The x509 scheme's ids and ACL validity. Every expected value was printed by OpenJDK 17's
/// <c>new X500Principal(der).getName()</c> and <c>new X500Principal(String)</c>, the calls Java's
/// X509AuthenticationProvider makes.
/// </summary>
public class JavaX500NameTests
{
    [TestCase("300f310d300b06035504031e0400e900fc", "CN=\\00\ufffd\\00\ufffd")]
    [TestCase("30133111300f06035504031c0800000041000000e9", "CN=#1c0800000041000000e9")]
    [TestCase("300d310b300906035504031402e9ff", "CN=\ufffd\ufffd")]
    [TestCase("300e310c300a06035504031b03616263", "CN=abc")]
    [TestCase("300e310c300a06035504030c03c3a961", "CN=éa")]
    [TestCase("300c310a30080603550403130161", "CN=a")]
    [TestCase("300e310c300a06035504031603612c62", "CN=a\\,b")]
    [TestCase("300c310a30080603550403020105", "CN=#020105")]
    [TestCase("300b3109300706035504030c00", "CN=")]
    [TestCase("300e310c300a06035504030c03202020", "CN=\\ \\ \\ ")]
    [TestCase("300e310c300a06035504030c0320610d", "CN=\\ a\\\r")]
    [TestCase("300e310c300a06035504030c03230d20", "CN=\\#\\\r\\ ")]
    [TestCase("300d310b300906035504030c020d61", "CN=\\\ra")]
    [TestCase("3011310f300d06035504030c063c3e5c223d23", "CN=\\<\\>\\\\\\\"\\=\\#")]
    [TestCase("300d310b300906035504030c020a61", "CN=\na")]
    [TestCase("300c310a300806035504030c0109", "CN=\t")]
    [TestCase("300d310b300906035504030c0200e9", "CN=\\00\ufffd")]
    [TestCase("3020311e300806035504031301613008060355040a1301633008060355040b130162", "CN=a+O=c+OU=b")]
    [TestCase("30163114300806035504031301613008060355040b130162", "CN=a+OU=b")]
    [TestCase("3049310b3009060355040613025553310a3008060355040713016c310a300806035504091301733122300f060a0992268993f22c640101130178300f060a0992268993f22c640119160179", "UID=x+DC=y,STREET=s,L=l,C=US")]
    [TestCase("300c310a300806032a03040c0161", "1.2.3.4=#0c0161")]
    [TestCase("30133111300f060a0992268993f22c6401010c0161", "UID=a")]
    [TestCase("306f310b30090603550406130255533110300e0603550408130743412c2042617931123010060355040a13095a6b2b436f6d706174310d300b060355040b1304546573743115301306035504030c0c636c69656e7420226f6e65223114301206092a864886f70d01090116056140622e63", "1.2.840.113549.1.9.1=#16056140622e63,CN=client \\\"one\\\",OU=Test,O=Zk\\+Compat,ST=CA\\, Bay,C=US")]
    [TestCase("303e310a30080603550403130178310a30080603550404130153310a3008060355042a130147310b3009060355040c13024472310b3009060355040513023432", "2.5.4.5=#13023432,2.5.4.12=#13024472,2.5.4.42=#130147,2.5.4.4=#130153,CN=x")]
    [TestCase("30293111300f060355040a13085a6b436f6d7061743114301206035504030c0bc39c6ec3af63c3b664c3a9", "CN=Ünïcödé,O=ZkCompat")]
    [TestCase("30133111300f060355040313087a6b636c69656e74", "CN=zkclient")]
    [TestCase("3000", "")]
    [TestCase("300e310c300a06035504030c03610062", "CN=a\\00b")]
    [TestCase("300d310b300906035504030c02017f", "CN=\u0001\u007f")]
    [TestCase("300d310b300906035504030c022000", "CN=\\ \\00")]
    [TestCase("300d310b300906035504030c020020", "CN=\\00\\ ")]
    public void Format_prints_the_subject_as_X500Principal_getName(string derHex, string expected)
    {
        Assert.That(JavaX500Name.Format(Convert.FromHexString(derHex)), Is.EqualTo(expected));
    }

    [TestCase("CN=a=b", true)]
    [TestCase("CN=a#b", true)]
    [TestCase("CN=#ab", false)]
    [TestCase("CN= lead", true)]
    [TestCase("CN=trail ", true)]
    [TestCase("CN=é ü", true)]
    [TestCase("CN=a<b", false)]
    [TestCase("CN=a>b", false)]
    [TestCase("CN=a;b", false)]
    [TestCase("", true)]
    [TestCase("CN=", true)]
    [TestCase("cn=x,o=y", true)]
    [TestCase("FOO=x", false)]
    [TestCase("OID.2.5.4.3=x", true)]
    [TestCase("2.5.4.3=x", true)]
    [TestCase("CN=a+OU=b", true)]
    [TestCase("CN=\\\"quoted, v\\\"", false)]
    [TestCase("CN=#0c0161", true)]
    [TestCase("CN=#zz", false)]
    [TestCase("CN=x;O=y", true)]
    [TestCase("E=a@b.c", false)]
    [TestCase("EMAILADDRESS=a@b.c", true)]
    [TestCase("EMAIL=a@b.c", true)]
    [TestCase("SERIALNUMBER=123", true)]
    [TestCase("T=t,DNQ=q,GIVENNAME=g,SURNAME=s,INITIALS=i,GENERATION=g,IP=1.2.3.4,S=s,UID=u,DC=d,STREET=st", true)]
    [TestCase("CN=a\\\\2cb", true)]
    [TestCase("CN=a\\\\\\\"b", true)]
    [TestCase("CN=a\\\"b", true)]
    [TestCase("CN  =  x  ,  O = y", true)]
    [TestCase("CN=x,", false)]
    [TestCase(",CN=x", false)]
    [TestCase("CN=a*b!@_&%", true)]
    [TestCase("CN=\\\\ x\\\\ ", true)]
    [TestCase("CN=a\\\\", true)]
    [TestCase("CN=\\\\e9", true)]
    [TestCase("CN=\\\\zz", true)]
    [TestCase("CN=\\\\2", true)]
    [TestCase("CN=\\\"a\\\\\\\"b\\\"", true)]
    [TestCase("CN=\\\"a\\\" x", true)]
    [TestCase("CN=\\\"a\\\"  ", true)]
    [TestCase("CN=\\\"unterminated", true)]
    [TestCase("CN=\\\"a\\\\qb\\\"", true)]
    [TestCase("CN=#0c01", false)]
    [TestCase("CN=#0c0161 ", false)]
    [TestCase("CN=#0c0161 x", false)]
    [TestCase("CN=#0c016", false)]
    [TestCase("CN=a+", false)]
    [TestCase("+CN=a", false)]
    [TestCase("CN=a++OU=b", false)]
    [TestCase("CN=a\\\\+b", true)]
    [TestCase("CN=a\\\\,b", false)]
    [TestCase("CN=a\\\\;b", false)]
    [TestCase("CN", false)]
    [TestCase("=x", false)]
    [TestCase("3=x", false)]
    [TestCase("1.40=x", false)]
    [TestCase("1.39=x", true)]
    [TestCase("2.999=x", true)]
    [TestCase("0.5=x", true)]
    [TestCase("1=x", false)]
    [TestCase("1.2.a=x", false)]
    [TestCase("OID.=x", false)]
    [TestCase("oid.1.2.3=x", true)]
    [TestCase("CN=x\\\\\\\\,O=y", true)]
    [TestCase("CN=x\\\\\\\\\\\\,O=y", true)]
    [TestCase("CN=\\\"x,y\\\",O=z", false)]
    [TestCase("CN=a\\\"b\\\"c,O=d", true)]
    [TestCase("CN=\\\\#x", true)]
    [TestCase("CN=\\\\=x", true)]
    [TestCase("CN=\\\\<\\\\>", false)]
    [TestCase("CN=\\\\\r", true)]
    [TestCase(" CN=x ", true)]
    [TestCase("CN=x\n,O=y", true)]
    [TestCase("CN=\n\nx", true)]
    [TestCase("CN=x;;O=y", false)]
    [TestCase("CN=x,,O=y", false)]
    [TestCase("CN=#0c0161+OU=b", true)]
    [TestCase("CN=\\\"a+b\\\"+OU=c", false)]
    [TestCase("CN=a\\\\20\\\\20", true)]
    [TestCase("UID=1,DC=example,DC=com", true)]
    [TestCase("CN=Ünïcödé", true)]
    [TestCase("CN=x,O=\\\"\\\"", true)]
    public void IsValid_accepts_what_the_X500Principal_constructor_accepts(string name, bool valid)
    {
        Assert.That(JavaX500Name.IsValid(name), Is.EqualTo(valid));
    }

    [Test]
    public void Format_of_a_certificate_subject_from_dotnet()
    {
        var name = new X500DistinguishedName("CN=zk client, OU=Interop, O=ZkCompat, C=DE");
        Assert.That(JavaX500Name.Format(name.RawData), Is.EqualTo("CN=zk client,OU=Interop,O=ZkCompat,C=DE"));
    }

    [Test]
    public void Format_rejects_what_is_not_a_name()
    {
        Assert.That(() => JavaX500Name.Format(new byte[] { 0x30, 0x05, 0x31 }), Throws.TypeOf<FormatException>());
    }
}
