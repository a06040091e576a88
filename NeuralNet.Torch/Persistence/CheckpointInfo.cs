namespace NeuralNet.Torch.Persistence;

/// <summary>What a checkpoint file holds, as read by <see cref="Checkpoint.Inspect"/>.</summary>
/// <param name="FilePath">The file (full path).</param>
/// <param name="Format">The format, detected from the file's bytes.</param>
/// <param name="Tensors">The state_dict's tensors in the file's order (PyTorch and TorchScript: the state_dict's order;
/// safetensors: data order).</param>
/// <param name="Entry">The top-level key of a PyTorch file that the state_dict was found under (<c>model_state_dict</c>,
/// <c>state_dict</c>); null when the file's top level is the state_dict.</param>
public sealed record CheckpointInfo(string FilePath, CheckpointFormat Format, IReadOnlyList<CheckpointTensorInfo> Tensors, string? Entry = null);
