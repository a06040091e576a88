// The seed document's main script, line for line:
//
//   device = 'cuda' if torch.cuda.is_available() else 'cpu'
//   print('Using {} device'.format(device))
//   model = NeuralNetwork().to(device)
//   print(model)
//   X = torch.rand(1, 28, 28, device=device)
//   logits = model(X)
//   pred_probab = nn.Softmax(dim=1)(logits)
//   y_pred = pred_probab.argmax(1)
//   print(f"Predicted class: {y_pred}")
//
// Set NEURALNET_DEVICE=cpu|cuda|cuda:N to override the device.
using NeuralNet.Torch;
using NeuralNet.Torch.Inspection;
using TorchSharp;
using static TorchSharp.torch;

Device device;
try
{
    device = Devices.Resolve();
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
Console.WriteLine($"Using {Devices.Describe(device)} device");

using var model = new NeuralNetwork().to(device);
Console.WriteLine(model.ToPyTorchString());

using var X = torch.rand(1, 28, 28, device: device);
using var logits = model.forward(X);
using var pred_probab = nn.Softmax(dim: 1).forward(logits);
using var y_pred = pred_probab.argmax(1);
Console.WriteLine($"Predicted class: {y_pred.ToPyTorchString()}");
return 0;
