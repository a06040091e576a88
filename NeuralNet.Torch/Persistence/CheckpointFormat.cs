namespace NeuralNet.Torch.Persistence;

/// <summary>The checkpoint file formats this library reads and writes.</summary>
/// <remarks>On load the format is always detected from the file's bytes, never from its name. On save it is taken from
/// the file's extension unless given explicitly (see <see cref="Checkpoint.FormatFromExtension"/>); TorchScript is
/// never written.</remarks>
public enum CheckpointFormat
{
    /// <summary>PyTorch's <c>torch.save(model.state_dict(), "model.pth")</c> zip archive (<c>.pt</c>, <c>.pth</c>,
    /// <c>.bin</c>): a protocol-2 pickle <c>data.pkl</c> plus one raw record per storage.</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors (<c>.safetensors</c>): an 8-byte little-endian header length, a JSON header,
    /// then the raw tensor bytes.</summary>
    SafeTensors,

    /// <summary>TorchSharp's own <c>Module.save</c>/<c>Module.load</c> format (<c>.dat</c>, TorchSharp's documented
    /// convention): LEB128 counts, names and shapes, then raw tensor bytes.</summary>
    TorchSharp,

    /// <summary>A TorchScript archive (<c>torch.jit.save</c>, <c>torch.jit.script(model).save(path)</c>, a traced
    /// module): a zip archive with the model's code (<c>code/</c>, <c>constants.pkl</c>) beside its tensors. Read only:
    /// <see cref="Checkpoint.LoadCheckpoint"/> copies its parameters and buffers, <see cref="TorchScript.Load"/> runs it.</summary>
    TorchScript,
}
