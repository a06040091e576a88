// Step 1: your model, written in C# as the PyTorch class is (../FashionCnn.cs beside ../model.py), printed as
// PyTorch prints it, its state_dict listed, and summarised for one [1, 28, 28] image:
//
//   model = FashionCnn()
//   print(model)
//   for name, t in model.state_dict().items(): print(name, t.dtype, list(t.shape))
//
//   dotnet run --project examples/09-YourOwnModel/1-Inspect
//
// The first block is exactly what `python3 model.py` prints; the state_dict's keys, dtypes and shapes are those of a
// PyTorch checkpoint of the model, so step 2 can load one.
using NeuralNet.Torch.Inspection;
using YourOwnModel;

return Step.Run(args, "usage: YourOwnModel.Inspect", 0, _ =>
{
    using var model = new FashionCnn();
    Console.WriteLine(model.ToPyTorchString());
    Console.WriteLine();
    Console.WriteLine(StateDictReport.Create(model));
    Console.WriteLine();
    Console.WriteLine(ModelSummary.Create(model, 1, 1, 28, 28));
});
