using ZkCompat.Server.Auth.Sasl;

namespace ZkCompat.Server.Tests.Auth.Sasl;

public class JaasConfigurationTests
{
    private static string? NoProperties(string name) => null;

    [Test]
    public void The_zookeeper_server_section_parses()
    {
        const string text = """
            Server {
                   org.apache.zookeeper.server.auth.DigestLoginModule required
                   user_super="adminsecret"
                   user_bob="bobsecret";
            };
            """;
        var jaas = JaasConfiguration.Parse(text, NoProperties);
        var entries = jaas.GetSection("Server")!;
        Assert.That(entries, Has.Count.EqualTo(1));
        Assert.That(entries[0].LoginModuleName, Is.EqualTo("org.apache.zookeeper.server.auth.DigestLoginModule"));
        Assert.That(entries[0].ControlFlag, Is.EqualTo(JaasControlFlag.Required));
        Assert.That(entries[0].Options, Is.EquivalentTo(new Dictionary<string, string> { ["user_super"] = "adminsecret", ["user_bob"] = "bobsecret" }));
        Assert.That(jaas.GetSection("Client"), Is.Null);
    }

    [Test]
    public void Comments_several_sections_and_modules_flags_in_any_case_and_unquoted_words()
    {
        const string text = """
            // a line comment
            /* a block
               comment */ Server { org.apache.zookeeper.server.auth.DigestLoginModule Required user_bob="a" ;
              com.example.Other OPTIONAL debug=true/ lone slash starts a comment too
              ;
            };
            "Quoted Name" { x.Y sufficient k=v; z.W requisite; };
            Client {
              org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="b\"s\\e\ncret\101";
            };
            """;
        var jaas = JaasConfiguration.Parse(text, NoProperties);
        Assert.That(jaas.SectionNames, Is.EquivalentTo(new[] { "Server", "Quoted Name", "Client" }));
        var server = jaas.GetSection("Server")!;
        Assert.That(server.Select(e => (e.LoginModuleName, e.ControlFlag)),
            Is.EqualTo(new[] { ("org.apache.zookeeper.server.auth.DigestLoginModule", JaasControlFlag.Required), ("com.example.Other", JaasControlFlag.Optional) }));
        Assert.That(server[1].Options["debug"], Is.EqualTo("true"));
        Assert.That(jaas.GetSection("Quoted Name")!.Select(e => e.ControlFlag), Is.EqualTo(new[] { JaasControlFlag.Sufficient, JaasControlFlag.Requisite }));
        Assert.That(jaas.GetSection("Client")![0].Options["password"], Is.EqualTo("b\"s\\e\ncretA"));
    }

    [Test]
    public void An_empty_section_is_absent()
    {
        var jaas = JaasConfiguration.Parse("Server { };", NoProperties);
        Assert.That(jaas.GetSection("Server"), Is.Null);
    }

    [Test]
    public void Option_values_expand_system_properties()
    {
        var props = new Dictionary<string, string> { ["pw"] = "s3cret", ["who"] = "bob" };
        var jaas = JaasConfiguration.Parse("S { M required \"user_${who}x\"=\"${pw}!\" a=\"${{keep}}\" b=\"${/}tmp\" c=\"${open\"; };",
            name => props.GetValueOrDefault(name));
        var options = jaas.GetSection("S")![0].Options;
        // Keys (quoted here: '{' is no word character) are not expanded, values are.
        Assert.That(options["user_${who}x"], Is.EqualTo("s3cret!"));
        Assert.That(options["a"], Is.EqualTo("${{keep}}"));
        Assert.That(options["b"], Is.EqualTo(Path.DirectorySeparatorChar + "tmp"));
        Assert.That(options["c"], Is.EqualTo("${open"));
    }

    [TestCase("S { M required a=\"${nosuch}\"; };", "unable to expand property nosuch")]
    [TestCase("S { M required a=\"${empty}\"; };", "expanded to empty value")]
    [TestCase("S { M mandatory; };", "Invalid control flag, MANDATORY")]
    [TestCase("S { M required a=1; };", "expected [option value], found [null]")]
    [TestCase("S { M required a='x'; };", "expected [option value], found [x]")]
    [TestCase("S { M required a=\"x\" }; };", "expected [option key]")]
    [TestCase("S { M required; }", "expected [;], read [end of file]")]
    [TestCase("S { M required; }; S { N required; };", "Can not specify multiple entries for S")]
    [TestCase("S M required; };", "expected [{]")]
    [TestCase("S { M required user_${x}=\"v\"; };", "expected [=]")]
    public void Malformed_files_are_errors(string text, string message)
    {
        var props = new Dictionary<string, string> { ["empty"] = "" };
        var e = Assert.Throws<JaasConfigurationException>(() => JaasConfiguration.Parse(text, name => props.GetValueOrDefault(name)));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Load_reads_a_path_a_file_url_and_drops_a_leading_equals()
    {
        string dir = Directory.CreateTempSubdirectory("zkcompat-jaas-").FullName;
        try
        {
            string path = Path.Combine(dir, "my jaas.conf");
            File.WriteAllText(path, "Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_b\u00f8b=\"p\u00e5ss\"; };");
            var props = new Dictionary<string, string> { ["conf.dir"] = dir };
            foreach (string spec in new[] { path, "=" + path, "${conf.dir}/my jaas.conf", new Uri(path).AbsoluteUri })
            {
                var jaas = JaasConfiguration.Load(spec, name => props.GetValueOrDefault(name));
                Assert.That(jaas.GetSection("Server")![0].Options["user_b\u00f8b"], Is.EqualTo("p\u00e5ss"), spec);
            }
            var e = Assert.Throws<JaasConfigurationException>(() => JaasConfiguration.Load(Path.Combine(dir, "missing.conf"), NoProperties));
            Assert.That(e!.Message, Does.Contain("No such file or directory"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
