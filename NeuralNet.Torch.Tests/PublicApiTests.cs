using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests;

/// <summary>The library's public API, listed by reflection and compared with the checked-in PublicApi.txt: a type or
/// member cannot become public, change its signature or disappear without the file's diff saying so.</summary>
public sealed class PublicApiTests
{
    private const string UpdateVariable = "NEURALNET_UPDATE_PUBLIC_API";

    private static string SnapshotPath => Path.Combine(TestPaths.RepositoryRoot, "NeuralNet.Torch.Tests", "PublicApi.txt");

    [Test]
    public void PublicApi_OfTheLibrary_IsTheCheckedInSnapshot()
    {
        var actual = PublicApi.Lines(typeof(NeuralNetwork).Assembly);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(SnapshotPath, string.Join("\n", actual) + "\n");
            Assert.Pass($"Rewrote {SnapshotPath} ({actual.Count} lines).");
        }
        var expected = File.Exists(SnapshotPath)
            ? File.ReadAllLines(SnapshotPath).Where(l => l.Length > 0).ToList()
            : [];
        var added = actual.Except(expected, StringComparer.Ordinal).ToList();
        var removed = expected.Except(actual, StringComparer.Ordinal).ToList();

        if (added.Count > 0 || removed.Count > 0)
        {
            var message = new StringBuilder()
                .AppendLine($"The public API differs from {SnapshotPath}:")
                .AppendJoin("", added.Select(l => $"+ {l}\n"))
                .AppendJoin("", removed.Select(l => $"- {l}\n"))
                .AppendLine($"If the change is meant, rewrite the file with {UpdateVariable}=1 " +
                    "dotnet test NeuralNet.Torch.Tests --filter FullyQualifiedName~PublicApiTests, and commit it.");
            Assert.Fail(message.ToString());
        }
        actual.Should().Equal(expected, "the snapshot is sorted and has no duplicates");
    }

    [Test]
    public void Lines_OfThisTestClass_NameKindSignatureAndNullability()
    {
        var lines = PublicApi.Lines(typeof(PublicApiTests).Assembly).Where(l => l.Contains("Tests.PublicApiSample", StringComparison.Ordinal));

        lines.Should().Equal(
            "F:NeuralNet.Torch.Tests.PublicApiSample.Limit : System.Int32 = 3 [const]",
            "M:NeuralNet.Torch.Tests.PublicApiSample.#ctor(System.Int32 size)",
            "M:NeuralNet.Torch.Tests.PublicApiSample.Dispose()",
            "M:NeuralNet.Torch.Tests.PublicApiSample.Find(System.String name, System.Collections.Generic.IReadOnlyList<System.Int64>? shape = null) -> System.String?",
            "M:NeuralNet.Torch.Tests.PublicApiSample.Inner(System.Int32 x) -> System.Int32 [protected]",
            "P:NeuralNet.Torch.Tests.PublicApiSample.Size : System.Int32 { get; init; }",
            "T:NeuralNet.Torch.Tests.PublicApiSample : System.Object, System.IDisposable [class]");
    }
}

/// <summary>A class whose public surface <see cref="PublicApiTests"/> lists.</summary>
public class PublicApiSample : IDisposable
{
    /// <summary>A constant.</summary>
    public const int Limit = 3;

    /// <summary>Makes one.</summary>
    public PublicApiSample(int size) => Size = size;

    /// <summary>A property.</summary>
    public int Size { get; init; }

    /// <summary>A method with a nullable default.</summary>
    public string? Find(string name, IReadOnlyList<long>? shape = null) => shape is null ? null : name;

    /// <summary>Nothing to free.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Not listed: private.</summary>
    private int Hidden() => Size;

    /// <summary>A protected member: listed, since a derived class in another assembly can call it.</summary>
    protected int Inner(int x) => x + Hidden();
}

/// <summary>Lists an assembly's public API as sorted lines, one per type and per public or protected member:
/// <c>T:</c> types (with base type, interfaces and kind), <c>M:</c> methods and constructors (parameters with names
/// and defaults, return type), <c>P:</c> properties, <c>F:</c> fields, <c>E:</c> events; nullable reference types
/// end in <c>?</c>.</summary>
internal static class PublicApi
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static List<string> Lines(Assembly assembly)
    {
        var nullability = new NullabilityInfoContext();
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"T:{Name(type)}{Bases(type)} [{Kind(type)}]");
            foreach (var member in type.GetMembers(Declared).Where(IsVisible))
            {
                if (Line(type, member, nullability) is { } line)
                {
                    lines.Add(line);
                }
            }
        }
        return [.. lines.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName, // not an enum's value__
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(IsVisible),
        EventInfo e => e.AddMethod is { } add && IsVisible(add),
        _ => false, // nested types are listed as types of their own
    };

    private static string? Line(Type type, MemberInfo member, NullabilityInfoContext nullability)
    {
        if (member.Name.Contains('<', StringComparison.Ordinal) || member.IsDefined(typeof(CompilerGeneratedAttribute)))
        {
            return null; // a record's EqualityContract and <Clone>$: what every record has
        }
        var owner = Name(type);
        switch (member)
        {
            case ConstructorInfo c:
                return $"M:{owner}.{(c.IsStatic ? "#cctor" : "#ctor")}({Parameters(c, nullability)}){Modifiers(c)}";
            case MethodInfo m when !m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal):
                var generic = m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";
                var returns = m.ReturnType == typeof(void) ? "" : " -> " + Name(m.ReturnType, nullability.Create(m.ReturnParameter));
                return $"M:{owner}.{m.Name}{generic}({Parameters(m, nullability)}){returns}{Modifiers(m)}";
            case PropertyInfo p:
                var accessors = string.Join(" ", new[] { (p.GetMethod, "get;"), (p.SetMethod, IsInit(p) ? "init;" : "set;") }
                    .Where(a => a.Item1 is not null && IsVisible(a.Item1)).Select(a => a.Item2));
                var index = p.GetIndexParameters().Length > 0 ? $"[{Parameters(p.GetIndexParameters(), nullability)}]" : "";
                return $"P:{owner}.{p.Name}{index} : {Name(p.PropertyType, nullability.Create(p))} {{ {accessors} }}{Modifiers(p.GetAccessors(true).First(IsVisible))}";
            case FieldInfo f:
                var value = f.IsLiteral ? " = " + Literal(f.GetRawConstantValue(), type.IsEnum ? typeof(object) : f.FieldType) : "";
                var kind = f.IsLiteral ? " [const]" : f.IsStatic ? (f.IsInitOnly ? " [static readonly]" : " [static]") : f.IsInitOnly ? " [readonly]" : "";
                return type.IsEnum && f.IsStatic
                    ? $"F:{owner}.{f.Name}{value}"
                    : $"F:{owner}.{f.Name} : {Name(f.FieldType, nullability.Create(f))}{value}{kind}";
            case EventInfo e:
                return $"E:{owner}.{e.Name} : {Name(e.EventHandlerType!, nullability.Create(e))}";
            default:
                return null;
        }
    }

    private static string Modifiers(MethodBase m)
    {
        var parts = new List<string>();
        if (m.IsFamily || m.IsFamilyOrAssembly)
        {
            parts.Add("protected");
        }
        if (m.IsStatic && m is not ConstructorInfo)
        {
            parts.Add("static");
        }
        if (m.IsAbstract && !m.DeclaringType!.IsInterface)
        {
            parts.Add("abstract");
        }
        else if (m is MethodInfo method && m.IsVirtual && !m.IsFinal && !m.DeclaringType!.IsInterface)
        {
            parts.Add(method.GetBaseDefinition().DeclaringType == method.DeclaringType ? "virtual" : "override");
        }
        if (m.IsDefined(typeof(ExtensionAttribute)))
        {
            parts.Add("extension");
        }
        return parts.Count == 0 ? "" : $" [{string.Join(" ", parts)}]";
    }

    private static bool IsInit(PropertyInfo p) =>
        p.SetMethod?.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)) == true;

    private static string Parameters(MethodBase method, NullabilityInfoContext nullability) =>
        Parameters(method.GetParameters(), nullability);

    private static string Parameters(ParameterInfo[] parameters, NullabilityInfoContext nullability) =>
        string.Join(", ", parameters.Select(p =>
        {
            var type = p.ParameterType;
            var prefix = p.IsOut ? "out " : type.IsByRef ? (p.IsIn ? "in " : "ref ") : p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "";
            var name = Name(type.IsByRef ? type.GetElementType()! : type, nullability.Create(p));
            var value = p.HasDefaultValue ? " = " + Literal(p.RawDefaultValue, type) : "";
            return $"{prefix}{name} {p.Name}{value}";
        }));

    private static string Literal(object? value, Type type) => value switch
    {
        not null when (Nullable.GetUnderlyingType(type) ?? type) is { IsEnum: true } e => Name(e) + "." + Enum.ToObject(e, value),
        null => type.IsValueType && Nullable.GetUnderlyingType(type) is null ? "default" : "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.IsClass && type.BaseType is { } baseType)
        {
            bases.Add(Name(baseType));
        }
        var inherited = type.BaseType?.GetInterfaces() ?? [];
        bases.AddRange(type.GetInterfaces().Where(i => !inherited.Contains(i)).Select(i => Name(i)).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Kind(Type type)
    {
        if (type.IsEnum)
        {
            return "enum";
        }
        if (type.IsInterface)
        {
            return "interface";
        }
        if (type.IsValueType)
        {
            return "struct";
        }
        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return "delegate";
        }
        var record = type.GetMethod("<Clone>$") is not null ? "record" : "class";
        return type.IsAbstract && type.IsSealed ? $"static {record}" : type.IsSealed ? $"sealed {record}" : type.IsAbstract ? $"abstract {record}" : record;
    }

    private static string Name(Type type, NullabilityInfo? nullability = null)
    {
        string name;
        if (type.IsArray)
        {
            name = Name(type.GetElementType()!, nullability?.ElementType) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }
        else if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }
        else if (type.IsGenericParameter)
        {
            name = type.Name;
        }
        else
        {
            var declaring = type.DeclaringType is { } outer && !type.IsGenericParameter ? Name(outer) + "." : type.Namespace + ".";
            var plain = type.Name.Split('`')[0];
            var arguments = type.GetGenericArguments();
            if (type.DeclaringType is { } d)
            {
                arguments = arguments.Skip(d.GetGenericArguments().Length).ToArray();
            }
            var nullableArguments = nullability?.GenericTypeArguments;
            var offset = (nullableArguments?.Length ?? 0) - arguments.Length;
            name = declaring + plain + (arguments.Length == 0 ? "" : "<" + string.Join(", ", arguments.Select((a, i) =>
                Name(a, nullableArguments is not null && offset >= 0 ? nullableArguments[offset + i] : null))) + ">");
        }
        return nullability?.ReadState == NullabilityState.Nullable && !type.IsValueType ? name + "?" : name;
    }
}
