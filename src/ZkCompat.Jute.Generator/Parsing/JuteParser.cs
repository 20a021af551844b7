using System;
using System.Collections.Immutable;
using System.Text;

namespace ZkCompat.Jute.Generator.Parsing;

/// <summary>
/// Recursive-descent parser for the jute IDL:
/// <code>
/// file    := ( include | module )* EOF
/// include := 'include' STRING ';'?
/// module  := 'module' qname '{' record* '}'
/// record  := 'class' IDENT '{' field* '}'
/// field   := type IDENT ';'
/// type    := 'byte' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'ustring' | 'buffer'
///          | 'vector' '&lt;' type '&gt;' | 'map' '&lt;' type ',' type '&gt;' | qname
/// qname   := IDENT ( '.' IDENT )*
/// </code>
/// It never throws on bad input: errors become <see cref="JuteDiagnosticInfo"/>s.
/// </summary>
public sealed class JuteParser
{
    private readonly ImmutableArray<JuteToken> _tokens;
    private readonly string _path;
    private readonly bool _truncated;
    private readonly ImmutableArray<JuteModuleSyntax>.Builder _modules = ImmutableArray.CreateBuilder<JuteModuleSyntax>();
    private int _position;

    private JuteParser(ImmutableArray<JuteToken> tokens, string path, bool truncated)
    {
        _tokens = tokens;
        _path = path;
        _truncated = truncated;
    }

    public static JuteFileSyntax Parse(string text, string path)
    {
        var lexed = JuteTokenizer.Tokenize(text ?? string.Empty, path);
        var parser = new JuteParser(lexed.Tokens, path, lexed.Truncated);
        var diagnostics = ImmutableArray.CreateBuilder<JuteDiagnosticInfo>();
        diagnostics.AddRange(lexed.Diagnostics);
        try
        {
            parser.ParseFile();
        }
        catch (SyntaxErrorException error)
        {
            // After a lexer error that swallowed the rest of the file, "found end of file" is a
            // consequence, not news.
            if (!(parser._truncated && error.Found.Kind == JuteTokenKind.EndOfFile))
            {
                diagnostics.Add(new JuteDiagnosticInfo(JuteDiagnosticIds.SyntaxError, error.Message, error.Location));
            }
        }

        return new JuteFileSyntax(
            path,
            new EquatableArray<JuteModuleSyntax>(parser._modules.ToImmutable()),
            new EquatableArray<JuteDiagnosticInfo>(diagnostics.ToImmutable()),
            diagnostics.Count > 0);
    }

    private JuteToken Current => _tokens[_position];

    private JuteToken Previous => _tokens[_position > 0 ? _position - 1 : 0];

    private JuteToken Next()
    {
        var token = Current;
        if (token.Kind != JuteTokenKind.EndOfFile) _position++;
        return token;
    }

    private bool IsKeyword(string keyword) => Current.Kind == JuteTokenKind.Identifier && Current.Text == keyword;

    private void ParseFile()
    {
        while (Current.Kind != JuteTokenKind.EndOfFile)
        {
            if (IsKeyword("include"))
            {
                Next();
                Expect(JuteTokenKind.String, "a quoted file name after 'include'");
                if (Current.Kind == JuteTokenKind.Semicolon) Next();
            }
            else if (IsKeyword("module"))
            {
                ParseModule();
            }
            else
            {
                throw Error("'module' or 'include'");
            }
        }
    }

    private void ParseModule()
    {
        Next(); // module
        var (name, nameLocation) = ParseQualifiedName("a module name after 'module'");
        Expect(JuteTokenKind.LeftBrace, "'{' after module name '" + name + "'");
        var records = ImmutableArray.CreateBuilder<JuteRecordSyntax>();
        try
        {
            while (Current.Kind != JuteTokenKind.RightBrace)
            {
                if (!IsKeyword("class")) throw Error("'class' or '}' in module '" + name + "'");
                records.Add(ParseRecord());
            }
            Next(); // }
        }
        finally
        {
            // Keep what was complete even when an error stops the parse.
            _modules.Add(new JuteModuleSyntax(name, nameLocation, new EquatableArray<JuteRecordSyntax>(records.ToImmutable())));
        }
    }

    private JuteRecordSyntax ParseRecord()
    {
        Next(); // class
        var nameToken = Expect(JuteTokenKind.Identifier, "a record name after 'class'");
        Expect(JuteTokenKind.LeftBrace, "'{' after record name '" + nameToken.Text + "'");
        var fields = ImmutableArray.CreateBuilder<JuteFieldSyntax>();
        while (Current.Kind != JuteTokenKind.RightBrace)
        {
            if (Current.Kind != JuteTokenKind.Identifier)
                throw Error("a field type or '}' in record '" + nameToken.Text + "'");
            var type = ParseType();
            var fieldName = Expect(JuteTokenKind.Identifier, "a field name after type '" + type + "'");
            if (Current.Kind != JuteTokenKind.Semicolon)
            {
                // Like C#, point just after the field rather than at whatever follows it.
                throw new SyntaxErrorException(
                    "Expected ';' after field '" + fieldName.Text + "' but found " + Current.Describe(),
                    Previous.Location.AtEnd(),
                    Current);
            }
            Next();
            fields.Add(new JuteFieldSyntax(fieldName.Text, fieldName.Location, type));
        }
        Next(); // }
        return new JuteRecordSyntax(nameToken.Text, nameToken.Location, new EquatableArray<JuteFieldSyntax>(fields.ToImmutable()));
    }

    private JuteTypeSyntax ParseType()
    {
        if (Current.Kind != JuteTokenKind.Identifier) throw Error("a type");
        var start = Current;
        switch (start.Text)
        {
            case "byte": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Byte, start.Location);
            case "boolean": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Boolean, start.Location);
            case "int": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Int, start.Location);
            case "long": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Long, start.Location);
            case "float": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Float, start.Location);
            case "double": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Double, start.Location);
            case "ustring": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.UString, start.Location);
            case "buffer": Next(); return new JuteTypeSyntax(JuteTypeSyntaxKind.Buffer, start.Location);
            case "vector":
            {
                Next();
                Expect(JuteTokenKind.LeftAngle, "'<' after 'vector'");
                var element = ParseType();
                Expect(JuteTokenKind.RightAngle, "'>' to close 'vector<" + element + "'");
                return new JuteTypeSyntax(JuteTypeSyntaxKind.Vector, Span(start.Location, Previous.Location), element);
            }
            case "map":
            {
                Next();
                Expect(JuteTokenKind.LeftAngle, "'<' after 'map'");
                var key = ParseType();
                Expect(JuteTokenKind.Comma, "',' after the map key type '" + key + "'");
                var value = ParseType();
                Expect(JuteTokenKind.RightAngle, "'>' to close 'map<" + key + "," + value + "'");
                return new JuteTypeSyntax(JuteTypeSyntaxKind.Map, Span(start.Location, Previous.Location), value, key);
            }
            default:
            {
                var (name, location) = ParseQualifiedName("a type");
                return new JuteTypeSyntax(JuteTypeSyntaxKind.Record, location, RecordName: name);
            }
        }
    }

    private (string Name, JuteLocation Location) ParseQualifiedName(string expected)
    {
        var first = Expect(JuteTokenKind.Identifier, expected);
        var name = new StringBuilder(first.Text);
        while (Current.Kind == JuteTokenKind.Dot)
        {
            Next();
            var part = Expect(JuteTokenKind.Identifier, "a name after '" + name + ".'");
            name.Append('.').Append(part.Text);
        }
        return (name.ToString(), Span(first.Location, Previous.Location));
    }

    private JuteToken Expect(JuteTokenKind kind, string expected)
    {
        if (Current.Kind != kind) throw Error(expected);
        return Next();
    }

    private SyntaxErrorException Error(string expected) =>
        new("Expected " + expected + " but found " + Current.Describe(), Current.Location, Current);

    private JuteLocation Span(JuteLocation first, JuteLocation last) =>
        new(_path, first.Start, last.Start + last.Length - first.Start, first.StartLine, first.StartColumn, last.EndLine, last.EndColumn);

    private sealed class SyntaxErrorException : Exception
    {
        public SyntaxErrorException(string message, JuteLocation location, JuteToken found) : base(message)
        {
            Location = location;
            Found = found;
        }

        public JuteLocation Location { get; }

        public JuteToken Found { get; }
    }
}
