using System.Globalization;
using System.Text;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>A protobuf text-format message (what Triton's <c>config.pbtxt</c> is), parsed without knowing its schema:
/// each field name maps to its values in order; a value is a string, a number or enum name (as written), or a nested
/// message. Lists (<c>dims: [ 1, 2 ]</c>, <c>input [ {...} ]</c>) add one value per element.</summary>
internal sealed class TextProto
{
    private readonly Dictionary<string, List<object>> _fields = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> FieldNames => _fields.Keys;

    public IReadOnlyList<object> this[string field] => _fields.TryGetValue(field, out var values) ? values : [];

    public string Scalar(string field) => (string)this[field].Should().ContainSingle(field).Which;

    public TextProto Message(string field) => (TextProto)this[field].Should().ContainSingle(field).Which;

    public IEnumerable<TextProto> Messages(string field) => this[field].Cast<TextProto>();

    public long[] Longs(string field) => this[field].Select(v => long.Parse((string)v, CultureInfo.InvariantCulture)).ToArray();

    public static TextProto Parse(string text)
    {
        var tokens = new Tokens(text);
        var message = ParseMessage(tokens, end: null);
        return message;
    }

    private static TextProto ParseMessage(Tokens tokens, string? end)
    {
        var message = new TextProto();
        while (true)
        {
            var token = tokens.Next();
            if (token is null)
            {
                end.Should().BeNull("the text ended inside a message");
                return message;
            }
            if (token == end)
            {
                return message;
            }
            token.Should().MatchRegex("^[A-Za-z_][A-Za-z0-9_]*$", "a field name");
            var values = message._fields.TryGetValue(token, out var list) ? list : message._fields[token] = [];
            var next = tokens.Next();
            if (next == ":")
            {
                next = tokens.Next();
            }
            if (next == "[")
            {
                if (tokens.Peek() == "]")
                {
                    tokens.Next();
                    continue;
                }
                while (true)
                {
                    values.Add(ParseValue(tokens, tokens.Next()));
                    var separator = tokens.Next();
                    if (separator == "]")
                    {
                        break;
                    }
                    separator.Should().Be(",", "list elements are separated by commas");
                }
            }
            else
            {
                values.Add(ParseValue(tokens, next));
            }
        }
    }

    private static object ParseValue(Tokens tokens, string? token)
    {
        token.Should().NotBeNull("a value follows");
        return token switch
        {
            "{" => ParseMessage(tokens, "}"),
            "<" => ParseMessage(tokens, ">"),
            _ when token!.StartsWith('"') => Unquote(token),
            _ => token!,
        };
    }

    private static string Unquote(string token)
    {
        var text = new StringBuilder();
        for (var i = 1; i < token.Length - 1; i++)
        {
            if (token[i] != '\\')
            {
                text.Append(token[i]);
                continue;
            }
            var c = token[++i];
            if (c is >= '0' and <= '7')
            {
                text.Append((char)Convert.ToInt32(token.Substring(i, 3), 8));
                i += 2;
                continue;
            }
            text.Append(c switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => c });
        }
        return text.ToString();
    }

    private sealed class Tokens(string text)
    {
        private int _position;
        private string? _peeked;

        public string? Peek() => _peeked ??= Read();

        public string? Next()
        {
            var token = Peek();
            _peeked = null;
            return token;
        }

        private string? Read()
        {
            while (_position < text.Length)
            {
                var c = text[_position];
                if (char.IsWhiteSpace(c))
                {
                    _position++;
                }
                else if (c == '#')
                {
                    while (_position < text.Length && text[_position] != '\n')
                    {
                        _position++;
                    }
                }
                else
                {
                    break;
                }
            }
            if (_position >= text.Length)
            {
                return null;
            }
            var start = _position;
            var first = text[_position];
            if ("{}[]<>:,".Contains(first, StringComparison.Ordinal))
            {
                _position++;
                return first.ToString();
            }
            if (first == '"')
            {
                _position++;
                while (text[_position] != '"')
                {
                    _position += text[_position] == '\\' ? 2 : 1;
                }
                _position++;
                return text[start.._position];
            }
            while (_position < text.Length && !char.IsWhiteSpace(text[_position]) && !"{}[]<>:,#\"".Contains(text[_position], StringComparison.Ordinal))
            {
                _position++;
            }
            return text[start.._position];
        }
    }
}
