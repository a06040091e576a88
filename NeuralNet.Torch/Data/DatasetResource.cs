namespace NeuralNet.Torch.Data;

/// <summary>One file a dataset publishes: its name on the mirrors and its md5 checksum.</summary>
/// <param name="FileName">The file name, for example <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Md5">The md5 of the file's bytes as published, 32 hexadecimal digits.</param>
public sealed record DatasetResource(string FileName, string Md5);
