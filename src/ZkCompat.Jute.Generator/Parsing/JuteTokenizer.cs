using System.Collections.Immutable;

namespace ZkCompat.Jute.Generator.Parsing;

public enum JuteTokenKind
{
    Identifier,
    String,
    LeftBrace,
    RightBrace,
    LeftAngle,
    RightAngle,
    Comma,
    Semicolon,
    Dot,
    EndOfFile,
}

public sealed record JuteToken(JuteTokenKind Kind, string Text, JuteLocation Location)
{
    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        JuteTokenKind.EndOfFile => "end of file",
        JuteTokenKind.String => "string " + Text,
        _ => "'" + Text + "'",
    };
}

/// <summary>The tokens of one file, the lexical errors met, and whether the text was cut short.</summary>
public sealed record JuteTokenizeResult(
    ImmutableArray<JuteToken> Tokens,
    ImmutableArray<JuteDiagnosticInfo> Diagnostics,
    bool Truncated);

/// <summary>
/// Splits jute IDL text into tokens, skipping whitespace and <c>//</c> / <c>/* */</c> comments.
/// Identifiers are ASCII <c>[A-Za-z_][A-Za-z0-9_]*</c>; dotted names are assembled by the parser.
/// A bad character is reported and skipped; an unterminated comment or string is reported and
/// ends the token stream (<see cref="JuteTokenizeResult.Truncated"/>).
/// </summary>
public static class JuteTokenizer
{
    public static JuteTokenizeResult Tokenize(string text, string path)
    {
        var state = new State(text, path);
        var tokens = ImmutableArray.CreateBuilder<JuteToken>();
        var diagnostics = ImmutableArray.CreateBuilder<JuteDiagnosticInfo>();
        bool truncated = false;

        while (true)
        {
            state.SkipWhitespace();
            if (state.AtEnd) break;

            int start = state.Position;
            int line = state.Line;
            int column = state.Column;
            char c = state.Current;

            if (c == '/' && state.Peek(1) == '/')
            {
                while (!state.AtEnd && state.Current != '\n' && state.Current != '\r') state.Advance();
                continue;
            }
            if (c == '/' && state.Peek(1) == '*')
            {
                state.Advance();
                state.Advance();
                bool closed = false;
                while (!state.AtEnd)
                {
                    if (state.Current == '*' && state.Peek(1) == '/')
                    {
                        state.Advance();
                        state.Advance();
                        closed = true;
                        break;
                    }
                    state.Advance();
                }
                if (!closed)
                {
                    diagnostics.Add(new JuteDiagnosticInfo(
                        JuteDiagnosticIds.SyntaxError,
                        "Unterminated comment: expected '*/' but found end of file",
                        new JuteLocation(path, start, 2, line, column, line, column + 2)));
                    truncated = true;
                    break;
                }
                continue;
            }
            if (IsIdentifierStart(c))
            {
                while (!state.AtEnd && IsIdentifierPart(state.Current)) state.Advance();
                tokens.Add(state.MakeToken(JuteTokenKind.Identifier, start, line, column));
                continue;
            }
            if (c == '"')
            {
                state.Advance();
                bool closed = false;
                while (!state.AtEnd && state.Current != '\n' && state.Current != '\r')
                {
                    if (state.Current == '\\' && state.Peek(1) != '\0')
                    {
                        state.Advance();
                        state.Advance();
                        continue;
                    }
                    if (state.Current == '"')
                    {
                        state.Advance();
                        closed = true;
                        break;
                    }
                    state.Advance();
                }
                if (!closed)
                {
                    diagnostics.Add(new JuteDiagnosticInfo(
                        JuteDiagnosticIds.SyntaxError,
                        "Unterminated string: expected '\"' but found " + (state.AtEnd ? "end of file" : "end of line"),
                        state.MakeLocation(start, line, column)));
                    truncated = true;
                    break;
                }
                tokens.Add(state.MakeToken(JuteTokenKind.String, start, line, column));
                continue;
            }

            JuteTokenKind? kind = c switch
            {
                '{' => JuteTokenKind.LeftBrace,
                '}' => JuteTokenKind.RightBrace,
                '<' => JuteTokenKind.LeftAngle,
                '>' => JuteTokenKind.RightAngle,
                ',' => JuteTokenKind.Comma,
                ';' => JuteTokenKind.Semicolon,
                '.' => JuteTokenKind.Dot,
                _ => null,
            };
            state.Advance();
            if (kind is { } k)
            {
                tokens.Add(state.MakeToken(k, start, line, column));
            }
            else
            {
                diagnostics.Add(new JuteDiagnosticInfo(
                    JuteDiagnosticIds.SyntaxError,
                    "Unexpected character " + DescribeChar(c),
                    state.MakeLocation(start, line, column)));
            }
        }

        tokens.Add(new JuteToken(
            JuteTokenKind.EndOfFile,
            string.Empty,
            new JuteLocation(path, state.Position, 0, state.Line, state.Column, state.Line, state.Column)));
        return new JuteTokenizeResult(tokens.ToImmutable(), diagnostics.ToImmutable(), truncated);
    }

    private static bool IsIdentifierStart(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || (c >= '0' && c <= '9');

    private static string DescribeChar(char c) =>
        c >= ' ' && c < 0x7f ? "'" + c + "'" : "U+" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class State
    {
        private readonly string _text;
        private readonly string _path;

        public State(string text, string path)
        {
            _text = text;
            _path = path;
        }

        public int Position { get; private set; }
        public int Line { get; private set; }
        public int Column { get; private set; }
        public bool AtEnd => Position >= _text.Length;
        public char Current => _text[Position];

        public char Peek(int offset) => Position + offset < _text.Length ? _text[Position + offset] : '\0';

        public void Advance()
        {
            char c = _text[Position++];
            if (c == '\n' || (c == '\r' && (Position >= _text.Length || _text[Position] != '\n')))
            {
                Line++;
                Column = 0;
            }
            else if (c != '\r')
            {
                Column++;
            }
            else
            {
                // '\r' of a "\r\n" pair: the '\n' ends the line.
                Column++;
            }
        }

        public void SkipWhitespace()
        {
            while (!AtEnd && (Current == ' ' || Current == '\t' || Current == '\n' || Current == '\r' || Current == '\f' || Current == '\v' || Current == '\uFEFF'))
            {
                Advance();
            }
        }

        public JuteLocation MakeLocation(int start, int line, int column) =>
            new(_path, start, Position - start, line, column, Line, Column);

        public JuteToken MakeToken(JuteTokenKind kind, int start, int line, int column) =>
            new(kind, _text.Substring(start, Position - start), MakeLocation(start, line, column));
    }
}
