namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>The oracle is present but broken: a script failed, or its manifest or files are missing or malformed.
/// Thrown (not Assert.Fail) so a test that depends on the oracle errors out with this message.</summary>
internal sealed class OracleException(string message) : Exception(message);
