using System.Text;
using Spectre.Console;

namespace Train;

/// <summary>Sends whole lines to a Spectre console, so they print above a running progress bar instead of through it.
/// Text is written as it is (no markup).</summary>
internal sealed class ConsoleLineWriter(IAnsiConsole console) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            console.WriteLine(_line.ToString().TrimEnd('\r'));
            _line.Clear();
        }
        else
        {
            _line.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        _line.Append(value);
        Write('\n');
    }
}
