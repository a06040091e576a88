// The document's "model parameters" section:
//
//   print("Model structure: ", model, "\n\n")
//   for name, param in model.named_parameters():
//       print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
//
//   dotnet run --project examples/03-Parameters [-- --seed N]
//
// Set NEURALNET_DEVICE=cpu|cuda|cuda:N to choose the device (default: CUDA when available). Without --seed the
// weights are random, as in the document (and, as in PyTorch, a shown value below 1e-4 switches that tensor's text to
// scientific notation).
using NeuralNet.Torch;
using NeuralNet.Torch.Inspection;
using TorchSharp;

if (args.Length == 2 && args[0] == "--seed" && long.TryParse(args[1], out var seed))
{
    torch.manual_seed(seed);
}
else if (args.Length != 0)
{
    Console.Error.WriteLine("error: expected no arguments or '--seed N' (usage: Parameters [--seed N])");
    return 2;
}

torch.Device device;
try
{
    device = Devices.Resolve();
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

using var model = new NeuralNetwork().to(device);
Console.Write(ParameterReport.Create(model));
return 0;
