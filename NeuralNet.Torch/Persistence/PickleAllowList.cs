namespace NeuralNet.Torch.Persistence;

/// <summary>What an allow-listed global is to the restricted unpickler.</summary>
internal enum GlobalRole
{
    /// <summary>Only a value (a dtype, a storage or tensor class, a layout, a quantization scheme): never called.</summary>
    Value,
    OrderedDict,
    Counter,
    Set,
    Complex,
    CodecsEncode,
    ByteArray,
    Size,
    Device,
    Layout,
    Parameter,
    RebuildTensor,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromType,

    /// <summary>A rebuild function of a tensor kind this reader does not load (sparse, quantized, meta, ...): allowed
    /// by PyTorch, so named as unsupported rather than refused.</summary>
    UnsupportedTensor,
}

/// <summary>
/// The globals <c>torch.load(path, weights_only=True)</c> accepts: PyTorch 2.x's allow-list
/// (<c>torch/_weights_only_unpickler.py</c>, <c>_get_allowed_globals</c>), a superset of 1.13's, plus 1.13's
/// <c>_rebuild_sparse_csr_tensor</c>. Every other global is refused by name before anything is built.
/// </summary>
/// <remarks>Python 2 module names that protocol-2 pickles carry (<c>__builtin__</c>) are read as their Python 3 names,
/// as PyTorch's <c>IMPORT_MAPPING</c> does. User-registered safe globals (<c>add_safe_globals</c>) have no
/// equivalent here: they would be arbitrary Python classes.</remarks>
internal static class PickleAllowList
{
    private static readonly Dictionary<string, GlobalRole> Roles = Build();

    /// <summary>The role of <paramref name="module"/>.<paramref name="name"/>, or null where it is refused.</summary>
    public static GlobalRole? RoleOf(string module, string name) =>
        Roles.TryGetValue(Python3Module(module) + "." + name, out var role) ? role : null;

    /// <summary>The allowed full names (for tests and documentation).</summary>
    public static IReadOnlyCollection<string> Names => Roles.Keys;

    private static string Python3Module(string module) => module switch
    {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        _ => module,
    };

    private static Dictionary<string, GlobalRole> Build()
    {
        var roles = new Dictionary<string, GlobalRole>(StringComparer.Ordinal)
        {
            ["collections.OrderedDict"] = GlobalRole.OrderedDict,
            ["collections.Counter"] = GlobalRole.Counter,
            ["torch.nn.parameter.Parameter"] = GlobalRole.Parameter,
            ["torch.serialization._get_layout"] = GlobalRole.Layout,
            ["torch.Size"] = GlobalRole.Size,
            ["torch.Tensor"] = GlobalRole.Value,
            ["torch.device"] = GlobalRole.Device,
            ["_codecs.encode"] = GlobalRole.CodecsEncode,
            ["builtins.bytearray"] = GlobalRole.ByteArray,
            ["builtins.set"] = GlobalRole.Set,
            ["builtins.complex"] = GlobalRole.Complex,
            ["torch._utils._rebuild_tensor"] = GlobalRole.RebuildTensor,
            ["torch._utils._rebuild_tensor_v2"] = GlobalRole.RebuildTensorV2,
            ["torch._utils._rebuild_tensor_v3"] = GlobalRole.RebuildTensorV3,
            ["torch._utils._rebuild_parameter"] = GlobalRole.RebuildParameter,
            ["torch._utils._rebuild_parameter_with_state"] = GlobalRole.RebuildParameterWithState,
            ["torch._tensor._rebuild_from_type_v2"] = GlobalRole.RebuildFromType,
            ["torch.storage.UntypedStorage"] = GlobalRole.Value,
            ["torch.storage.TypedStorage"] = GlobalRole.Value,
        };
        foreach (var unsupported in new[]
                 {
                     "_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_sparse_csr_tensor", "_rebuild_meta_tensor_no_storage",
                     "_rebuild_nested_tensor", "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy",
                     "_rebuild_device_tensor_from_cpu_tensor",
                 })
        {
            roles["torch._utils." + unsupported] = GlobalRole.UnsupportedTensor;
        }
        string[] dtypes =
        [
            "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex32",
            "complex64", "complex128", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "float8_e5m2", "float8_e4m3fn",
            "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8",
            "bits2x4", "bits4x2", "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6",
            "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7",
            "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
            "per_channel_affine_float_qparams",
        ];
        foreach (var dtype in dtypes)
        {
            roles["torch." + dtype] = GlobalRole.Value;
        }
        string[] elements =
        [
            "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool", "ComplexDouble",
            "ComplexFloat",
        ];
        foreach (var element in elements)
        {
            roles[$"torch.{element}Storage"] = GlobalRole.Value;
            roles[$"torch.cuda.{element}Storage"] = GlobalRole.Value;
            if (!element.StartsWith("Complex", StringComparison.Ordinal))
            {
                roles[$"torch.{element}Tensor"] = GlobalRole.Value;
                roles[$"torch.cuda.{element}Tensor"] = GlobalRole.Value;
                if (element != "Bool")
                {
                    roles[$"torch.sparse.{element}Tensor"] = GlobalRole.Value;
                    roles[$"torch.cuda.sparse.{element}Tensor"] = GlobalRole.Value;
                }
            }
        }
        foreach (var quantized in new[] { "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4" })
        {
            roles[$"torch.{quantized}Storage"] = GlobalRole.Value;
        }
        return roles;
    }
}
