// The document's "model parameters" section:
//
//   print("Model structure: ", model, "\n\n")
//   for name, param in model.named_parameters():
//       print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
//
// Set NEURALNET_DEVICE=cpu|cuda|cuda:N to choose the device (default: CUDA when available).
using NeuralNet.Torch;
using NeuralNet.Torch.Inspection;
using TorchSharp;

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
