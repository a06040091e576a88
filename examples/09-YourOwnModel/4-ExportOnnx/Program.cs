// Step 4: export it to ONNX, for ONNX Runtime, Triton or any other ONNX tool, and check the file in ONNX Runtime:
//
//   torch.onnx.export(model, torch.rand(1, 1, 28, 28), "model.onnx", input_names=["input"],
//                     output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
//
//   dotnet run --project examples/09-YourOwnModel/4-ExportOnnx -- model.pth model.onnx
//
// The graph has a dynamic batch dimension; InputShape gives one sample's shape (needed because the first layer is a
// convolution, not a Linear). Then the file runs in ONNX Runtime on a random batch and the largest difference from
// libtorch's probabilities is printed. A module the exporter cannot map, or a forward that is not the chain of
// children the class declares (ISequentialModule), is refused with one line naming the module.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Prediction;
using YourOwnModel;
using static TorchSharp.torch;

return Step.Run(args, "usage: YourOwnModel.ExportOnnx FILE.pth OUT.onnx", 2, a =>
{
    using var model = Step.LoadModel(a[0]);
    var graph = model.ExportOnnx(a[1], new OnnxExportOptions { InputShape = [1, 28, 28] });
    Console.WriteLine($"Wrote {Path.GetFullPath(a[1])} (ONNX opset {graph.OpsetVersion}: {graph.InputName} " +
        $"[batch, {string.Join(", ", graph.InputShape)}] -> {graph.OutputName} [batch, {string.Join(", ", graph.OutputShape)}])");
    Console.WriteLine($"Operators: {string.Join(" ", graph.Operators)}");

    const int Batch = 8;
    manual_seed(0);
    using var images = rand(Batch, 1, 28, 28);
    var expected = model.Predict(images);
    using var session = new InferenceSession(a[1]);
    var input = new DenseTensor<float>(images.data<float>().ToArray(), [Batch, 1, 28, 28]);
    using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(graph.InputName, input)]);
    var logits = outputs.Single().AsTensor<float>();
    var largest = 0.0;
    var sameClasses = true;
    for (var i = 0; i < Batch; i++)
    {
        var row = Enumerable.Range(0, 10).Select(c => (double)logits[i, c]).ToArray();
        var max = row.Max();
        var sum = row.Sum(v => Math.Exp(v - max));
        for (var c = 0; c < 10; c++)
        {
            largest = Math.Max(largest, Math.Abs(Math.Exp(row[c] - max) / sum - expected[i].Probabilities[c]));
        }
        sameClasses &= Array.IndexOf(row, max) == expected[i].Class;
    }
    Console.WriteLine($"ONNX Runtime on {Batch} random images: {(sameClasses ? "the same classes" : "DIFFERENT classes")} " +
        $"as libtorch, probabilities within {largest:0.0e+00}");
    if (!sameClasses || largest > 1e-5)
    {
        throw new InvalidOperationException("ONNX Runtime's results differ from libtorch's by more than 1e-5");
    }
});
