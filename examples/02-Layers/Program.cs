// The document's layer walk-through (PyTorch's buildmodel tutorial, "Model Layers"):
//
//   input_image = torch.rand(3, 28, 28)
//   print(input_image.size())
//   flatten = nn.Flatten()
//   flat_image = flatten(input_image)
//   print(flat_image.size())
//   layer1 = nn.Linear(in_features=28*28, out_features=20)
//   hidden1 = layer1(flat_image)
//   print(hidden1.size())
//   print(f"Before ReLU: {hidden1}\n\n")
//   hidden1 = nn.ReLU()(hidden1)
//   print(f"After ReLU: {hidden1}")
//   seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
//   input_image = torch.rand(3, 28, 28)
//   logits = seq_modules(input_image)
//   softmax = nn.Softmax(dim=1)
//   pred_probab = softmax(logits)
//
// The tutorial prints nothing for the last five lines; this example then also prints seq_modules and pred_probab.
//
//   dotnet run --project examples/02-Layers [-- --seed N]
//
// Without --seed the values are random, as in the tutorial (and, as in PyTorch, a tensor that happens to hold a
// value below 1e-4 prints in scientific notation).
using NeuralNet.Torch.Inspection;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length == 2 && args[0] == "--seed" && long.TryParse(args[1], out var seed))
{
    torch.manual_seed(seed);
}
else if (args.Length != 0)
{
    Console.Error.WriteLine("error: expected no arguments or '--seed N' (usage: Layers [--seed N])");
    return 2;
}

using var input_image = torch.rand(3, 28, 28);
Console.WriteLine(input_image.shape.ToTorchSize());

var flatten = nn.Flatten();
using var flat_image = flatten.call(input_image);
Console.WriteLine(flat_image.shape.ToTorchSize());

var layer1 = nn.Linear(inputSize: 28 * 28, outputSize: 20);
using var hidden1 = layer1.call(flat_image);
Console.WriteLine(hidden1.shape.ToTorchSize());
// TorchSharp cannot tell a tensor's grad_fn name, so it is given: Linear on a 2-D input is addmm in libtorch.
Console.WriteLine($"Before ReLU: {hidden1.ToPyTorchString(gradFn: "AddmmBackward0")}\n\n");

using var relu1 = nn.ReLU().call(hidden1);
Console.WriteLine($"After ReLU: {relu1.ToPyTorchString(gradFn: "ReluBackward0")}");

using var seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10));
using var input_image2 = torch.rand(3, 28, 28);
using var logits = seq_modules.call(input_image2);
using var softmax = nn.Softmax(dim: 1);
using var pred_probab = softmax.call(logits);

Console.WriteLine();
Console.WriteLine($"seq_modules: {seq_modules.ToPyTorchString()}");
Console.WriteLine($"pred_probab: {pred_probab.ToPyTorchString(gradFn: "SoftmaxBackward0")}");
return 0;
