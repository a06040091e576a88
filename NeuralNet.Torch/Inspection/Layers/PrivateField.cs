using System.Reflection;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>Reads a setting TorchSharp keeps only in a private field (RNN's <c>batch_first</c>). The field names
/// are TorchSharp 0.107's; where a TorchSharp version has no such field, printing fails with a clear
/// <see cref="NotSupportedException"/> instead of guessing.</summary>
internal static class PrivateField
{
    public static T Read<T>(object owner, string name)
    {
        var field = owner.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic);
        return field?.GetValue(owner) is T value
            ? value
            : throw new NotSupportedException(
                $"its setting '{name.TrimStart('_')}' cannot be read: {owner.GetType().FullName} has no {typeof(T).Name} field '{name}' in this TorchSharp version.");
    }
}
