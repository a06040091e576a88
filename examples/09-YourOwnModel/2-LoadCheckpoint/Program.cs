// Step 2: load the weights PyTorch saved for your model:
//
//   python3 examples/09-YourOwnModel/model.py --save model.pth     # torch.save(model.state_dict(), "model.pth")
//
//   model = FashionCnn()
//   print(model.load_state_dict(torch.load("model.pth", weights_only=True)))
//   print(model.classifier[4].bias)
//
//   dotnet run --project examples/09-YourOwnModel/2-LoadCheckpoint -- model.pth
//
// prints <All keys matched successfully> and the last layer's bias as PyTorch prints it (the same numbers as torch's).
// A file that does not fit the class is one line `error: ...` naming each missing or unexpected key and each
// `name: expected [..], found [..]`, and the model is left as it was.
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Persistence;
using YourOwnModel;

return Step.Run(args, "usage: YourOwnModel.LoadCheckpoint FILE.pth", 1, a =>
{
    using var model = new FashionCnn();
    Console.WriteLine(model.LoadCheckpoint(a[0]));
    var bias = model.named_parameters().Single(p => p.name == "classifier.4.bias").parameter;
    Console.WriteLine(bias.ToPyTorchString());
});
