namespace NeuralNet.Torch.Persistence;

/// <summary>What <see cref="CheckpointFile.Read"/> found in a file.</summary>
/// <param name="FullPath">The file.</param>
/// <param name="Format">Its format, from its bytes.</param>
/// <param name="Entries">The state_dict's tensors, in the file's order.</param>
/// <param name="Entry">The top-level key of a PyTorch file the state_dict came from; null when it is the file's top level.</param>
internal sealed record CheckpointContents(string FullPath, CheckpointFormat Format, List<StateEntry> Entries, string? Entry);
