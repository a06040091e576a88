using BenchmarkDotNet.Attributes;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>The CRC-32 of checkpoint records: System.IO.Hashing's <c>Crc32</c> (what the library uses) against the
/// table-driven loop the library had before (the baseline, kept here only to measure against).</summary>
/// <remarks>Sizes: a 64-byte record (a bias), the quickstart's 512x512 float32 weight (1 MiB), and its 512x784 weight
/// (1.5 MiB). Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- --filter '*Crc32*'</c>.</remarks>
[MemoryDiagnoser]
public class Crc32Benchmarks
{
    private static readonly uint[] Table = BuildTable();
    private byte[] _data = [];

    [Params(64, 1 << 20, 512 * 784 * 4)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Bytes];
        new Random(1).NextBytes(_data);
        if (TableLoop() != SystemIoHashing())
        {
            throw new InvalidOperationException("The two CRC-32 implementations disagree.");
        }
    }

    [Benchmark(Baseline = true)]
    public uint TableLoop()
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in _data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    [Benchmark]
    public uint SystemIoHashing() => System.IO.Hashing.Crc32.HashToUInt32(_data);

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
