using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Persistence;

/// <summary>A TorchScript module (<c>torch.jit.load</c>) as an ordinary <see cref="Module{Tensor, Tensor}"/>, so that
/// every helper that takes a module takes it: its parameters, buffers, state_dict, children, training mode and device
/// are the script's own, under the script's state_dict keys.</summary>
/// <remarks>TorchSharp's <c>ScriptModule&lt;Tensor, Tensor&gt;</c> implements <c>IModule&lt;Tensor, Tensor&gt;</c> but is
/// not a <c>Module&lt;Tensor, Tensor&gt;</c>; registering it as a child would prefix every key, so this type forwards
/// instead. Disposing it disposes the script.</remarks>
internal sealed class TorchScriptModule : Module<Tensor, Tensor>
{
    private List<(string name, Module module)>? _children;
    private List<(string name, Module module)>? _modules;
    private bool _disposed;

    public TorchScriptModule(jit.ScriptModule<Tensor, Tensor> script) : base(nameof(TorchScriptModule)) => Script = script;

    /// <summary>The TorchScript module (libtorch's <c>torch::jit::Module</c> through TorchSharp).</summary>
    public jit.ScriptModule<Tensor, Tensor> Script { get; }

    /// <summary>Runs the script's <c>forward</c>.</summary>
    /// <exception cref="InvalidOperationException">The script returns something other than one tensor.</exception>
    public override Tensor forward(Tensor input)
    {
        object result = ((jit.ScriptModule)Script).forward(input);
        return result as Tensor ?? throw new InvalidOperationException(
            $"The TorchScript module's forward returned {(result is null ? "nothing" : result.GetType().Name)}, not one tensor.");
    }

    public override IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true) =>
        _disposed ? [] : Script.named_parameters(recurse);

    public override IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool include_nonpersistent = true) =>
        _disposed ? [] : Script.named_buffers(recurse, include_nonpersistent);

    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null) =>
        Script.state_dict(destination, prefix);

    public override IEnumerable<(string name, Module module)> named_children() =>
        _disposed ? [] : _children ??= Script.named_children().ToList();

    public override IEnumerable<(string name, Module module)> named_modules() =>
        _disposed ? [] : _modules ??= Script.named_modules().ToList();

    public override void train(bool train = true) => Script.train(train);

    public override void eval() => Script.eval();

    public override bool training => Script.training;

    public override void zero_grad(bool set_to_none = true) => Script.zero_grad(set_to_none);

    protected override Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        Script.to(device, dtype, non_blocking);
        return this;
    }

    protected override Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        Script.to(deviceType, deviceIndex, non_blocking);
        return this;
    }

    protected override Module _to(ScalarType dtype, bool non_blocking)
    {
        Script.to(dtype, non_blocking);
        return this;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            foreach (var (_, module) in (_modules ?? []).Concat(_children ?? []))
            {
                module.Dispose();
            }
            Script.Dispose();
            _disposed = true;
        }
        base.Dispose(disposing);
    }
}
