namespace NeuralNet.Torch.Persistence;

/// <summary>What a checkpoint file holds, as read by <see cref="Checkpoint.Inspect"/>.</summary>
/// <param name="FilePath">The file (full path).</param>
/// <param name="Format">The format, detected from the file's bytes.</param>
/// <param name="Tensors">The tensors in the file's order (PyTorch: the state_dict's order; safetensors: data order).</param>
public sealed record CheckpointInfo(string FilePath, CheckpointFormat Format, IReadOnlyList<CheckpointTensorInfo> Tensors);
