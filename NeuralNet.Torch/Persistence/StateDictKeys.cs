namespace NeuralNet.Torch.Persistence;

/// <summary>Key prefixes: PyTorch's <c>consume_prefix_in_state_dict_if_present</c>, and the prefix that would make a
/// file's keys match a model's (<c>module.</c> from <c>DataParallel</c>, <c>model.</c> from Lightning).</summary>
internal static class StateDictKeys
{
    /// <summary>Removes <paramref name="prefix"/> from every name that starts with it (others are kept as they are).</summary>
    /// <returns>The renamed items, in order, and how many names carried the prefix.</returns>
    /// <exception cref="InvalidDataException">Two names become the same.</exception>
    public static (List<T> Items, int Stripped) Strip<T>(IReadOnlyList<T> items, Func<T, string> name, Func<T, string, T> rename, string prefix)
    {
        var result = new List<T>(items.Count);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var stripped = 0;
        foreach (var item in items)
        {
            var original = name(item);
            var renamed = original.StartsWith(prefix, StringComparison.Ordinal) ? original[prefix.Length..] : original;
            if (!seen.TryAdd(renamed, original))
            {
                throw new InvalidDataException(
                    $"removing StripPrefix '{prefix}' makes '{seen[renamed]}' and '{original}' the same key '{renamed}'");
            }
            if (!ReferenceEquals(renamed, original))
            {
                stripped++;
                result.Add(rename(item, renamed));
            }
            else
            {
                result.Add(item);
            }
        }
        return (result, stripped);
    }

    /// <summary>The shortest prefix ending in <c>.</c> that every one of <paramref name="fileKeys"/> carries and whose
    /// removal makes them exactly <paramref name="modelKeys"/>; null when there is none.</summary>
    public static string? MatchingPrefix(IReadOnlyList<string> fileKeys, IReadOnlyCollection<string> modelKeys)
    {
        if (fileKeys.Count == 0 || fileKeys.Count != modelKeys.Count)
        {
            return null;
        }
        var model = modelKeys.ToHashSet(StringComparer.Ordinal);
        var first = fileKeys[0];
        for (var dot = first.IndexOf('.'); dot >= 0; dot = first.IndexOf('.', dot + 1))
        {
            var prefix = first[..(dot + 1)];
            if (fileKeys.All(k => k.StartsWith(prefix, StringComparison.Ordinal)) && fileKeys.All(k => model.Contains(k[prefix.Length..])))
            {
                return prefix;
            }
        }
        return null;
    }
}
