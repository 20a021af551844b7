using NUnit.Framework;
using ZkCompat.Jute.Generator.Model;
using ZkCompat.Jute.Generator.Parsing;

namespace ZkCompat.Tests.Generator;

[TestFixture]
public class JuteParserTests
{
    [Test]
    public void Parse_ModulesRecordsFieldsAndTypes()
    {
        const string idl = """
            include "a.jute"
            include "b.jute";
            module org.example.data { // trailing comment
                class Pair { int left; /* inline */ long right; }
            }
            module org.example.proto {
                class Bag {
                    vector<vector<ustring>> table;
                    org.example.data.Pair pair;
                    Local local;
                    map<ustring,buffer> parsedButUnsupported;
                }
            }
            """;

        var file = JuteParser.Parse(idl, "x.jute");

        Assert.That(file.Diagnostics, Is.Empty);
        Assert.That(file.HasSyntaxErrors, Is.False);
        Assert.That(file.Modules.Select(m => m.Name), Is.EqualTo(new[] { "org.example.data", "org.example.proto" }));
        var pair = file.Modules[0].Records.Single();
        var bag = file.Modules[1].Records.Single();
        Assert.Multiple(() =>
        {
            Assert.That(pair.Name, Is.EqualTo("Pair"));
            Assert.That(pair.Fields.Select(f => $"{f.Type} {f.Name}"), Is.EqualTo(new[] { "int left", "long right" }));
            Assert.That(bag.Fields.Select(f => $"{f.Type} {f.Name}"), Is.EqualTo(new[]
            {
                "vector<vector<ustring>> table",
                "org.example.data.Pair pair",
                "Local local",
                "map<ustring,buffer> parsedButUnsupported",
            }));
            Assert.That(bag.Fields[1].Type.Kind, Is.EqualTo(JuteTypeSyntaxKind.Record));
            Assert.That(bag.Fields[3].Type.Key?.Kind, Is.EqualTo(JuteTypeSyntaxKind.UString));
            Assert.That(bag.Fields[3].Type.Element?.Kind, Is.EqualTo(JuteTypeSyntaxKind.Buffer));
            // 0-based positions, as Roslyn's LinePosition wants them.
            Assert.That(pair.NameLocation.StartLine, Is.EqualTo(3));
            Assert.That(pair.NameLocation.StartColumn, Is.EqualTo(10));
            Assert.That(bag.Fields[0].Type.Location.Length, Is.EqualTo("vector<vector<ustring>>".Length));
        });
    }

    [TestCase("int", JuteTypeSyntaxKind.Int)]
    [TestCase("long", JuteTypeSyntaxKind.Long)]
    [TestCase("byte", JuteTypeSyntaxKind.Byte)]
    [TestCase("boolean", JuteTypeSyntaxKind.Boolean)]
    [TestCase("float", JuteTypeSyntaxKind.Float)]
    [TestCase("double", JuteTypeSyntaxKind.Double)]
    [TestCase("ustring", JuteTypeSyntaxKind.UString)]
    [TestCase("buffer", JuteTypeSyntaxKind.Buffer)]
    [TestCase("vector<int>", JuteTypeSyntaxKind.Vector)]
    [TestCase("a.b.C", JuteTypeSyntaxKind.Record)]
    public void Parse_EveryTypeKeyword(string type, JuteTypeSyntaxKind kind)
    {
        var file = JuteParser.Parse($"module m {{ class R {{ {type} f; }} }}", "x.jute");

        Assert.That(file.Diagnostics, Is.Empty);
        Assert.That(file.Modules[0].Records[0].Fields[0].Type.Kind, Is.EqualTo(kind));
    }

    [Test]
    public void Parse_KeepsRecordsBeforeASyntaxError()
    {
        var file = JuteParser.Parse("module m {\n class A { int a; }\n class B { int b }\n}", "x.jute");

        Assert.Multiple(() =>
        {
            Assert.That(file.HasSyntaxErrors, Is.True);
            Assert.That(file.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { JuteDiagnosticIds.SyntaxError }));
            Assert.That(file.Modules.Single().Records.Select(r => r.Name), Is.EqualTo(new[] { "A" }));
        });
    }

    [Test]
    public void Parse_IsDeterministicAndComparesByValue()
    {
        const string idl = "module m { class A { vector<ustring> a; } }";

        var first = JuteParser.Parse(idl, "x.jute");
        var second = JuteParser.Parse(idl, "x.jute");

        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second, Is.EqualTo(first));
    }

    [TestCase("czxid", "Stat", "Czxid")]
    [TestCase("paths2Delete", "CloseSessionTxn", "Paths2Delete")]
    [TestCase("id", "Id", "IdValue")]
    [TestCase("id", "ACL", "Id")]
    [TestCase("info", "R", "InfoValue")]
    [TestCase("toString", "R", "ToStringValue")]
    public void PropertyName_IsPascalCaseAvoidingClashes(string field, string record, string expected)
    {
        Assert.That(JuteBinder.PropertyName(field, record), Is.EqualTo(expected));
    }

    [TestCase("org.apache.zookeeper.data", "Data")]
    [TestCase("org.apache.zookeeper.proto", "Proto")]
    [TestCase("org.apache.zookeeper.txn", "Txn")]
    [TestCase("org.apache.zookeeper.server.quorum", "Quorum")]
    [TestCase("org.apache.zookeeper.server.persistence", "Persistence")]
    [TestCase("single", "Single")]
    public void ModuleSuffix_IsTheLastSegmentInPascalCase(string module, string expected)
    {
        Assert.That(JuteBinder.ModuleSuffix(module), Is.EqualTo(expected));
    }
}
