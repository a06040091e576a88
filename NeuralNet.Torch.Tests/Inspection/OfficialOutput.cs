namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>
/// Values and text printed in PyTorch's "Build the Neural Network" tutorial (pytorch/tutorials
/// <c>beginner/basics/buildmodel_tutorial.html</c>, PyTorch 2.4.0+cu124; see ../shared/reference/pytorch-formats.md).
/// </summary>
/// <remarks>The page's full 3x20 <c>hidden1</c> rows are not in pytorch-formats.md (it elides them); they are taken
/// from copies of the page's output block found in public notes of the tutorial, which agree with each other and
/// with the first row in pytorch-formats.md.</remarks>
internal static class OfficialOutput
{
    /// <summary><c>hidden1 = layer1(flat_image)</c> as the page prints it: 3 rows of 20 values, 4 decimals.</summary>
    public static readonly float[][] BeforeRelu =
    [
        [0.4158f, -0.0130f, -0.1144f, 0.3960f, 0.1476f, -0.0690f, -0.0269f, 0.2690f, 0.1353f, 0.1975f,
         0.4484f, 0.0753f, 0.4455f, 0.5321f, -0.1692f, 0.4504f, 0.2476f, -0.1787f, -0.2754f, 0.2462f],
        [0.2326f, 0.0623f, -0.2984f, 0.2878f, 0.2767f, -0.5434f, -0.5051f, 0.4339f, 0.0302f, 0.1634f,
         0.5649f, -0.0055f, 0.2025f, 0.4473f, -0.2333f, 0.6611f, 0.1883f, -0.1250f, 0.0820f, 0.2778f],
        [0.3325f, 0.2654f, 0.1091f, 0.0651f, 0.3425f, -0.3880f, -0.0152f, 0.2298f, 0.3872f, 0.0342f,
         0.8503f, 0.0937f, 0.1796f, 0.5007f, -0.1897f, 0.4030f, 0.1189f, -0.3237f, 0.2048f, 0.4343f],
    ];

    /// <summary>The page's <c>print(f"Before ReLU: {hidden1}\n\n")</c> text, without the label.</summary>
    public const string BeforeReluText =
        "tensor([[ 0.4158, -0.0130, -0.1144,  0.3960,  0.1476, -0.0690, -0.0269,  0.2690,\n" +
        "          0.1353,  0.1975,  0.4484,  0.0753,  0.4455,  0.5321, -0.1692,  0.4504,\n" +
        "          0.2476, -0.1787, -0.2754,  0.2462],\n" +
        "        [ 0.2326,  0.0623, -0.2984,  0.2878,  0.2767, -0.5434, -0.5051,  0.4339,\n" +
        "          0.0302,  0.1634,  0.5649, -0.0055,  0.2025,  0.4473, -0.2333,  0.6611,\n" +
        "          0.1883, -0.1250,  0.0820,  0.2778],\n" +
        "        [ 0.3325,  0.2654,  0.1091,  0.0651,  0.3425, -0.3880, -0.0152,  0.2298,\n" +
        "          0.3872,  0.0342,  0.8503,  0.0937,  0.1796,  0.5007, -0.1897,  0.4030,\n" +
        "          0.1189, -0.3237,  0.2048,  0.4343]], grad_fn=<AddmmBackward0>)";

    /// <summary>The page's <c>print(f"After ReLU: {hidden1}")</c> text, without the label.</summary>
    public const string AfterReluText =
        "tensor([[0.4158, 0.0000, 0.0000, 0.3960, 0.1476, 0.0000, 0.0000, 0.2690, 0.1353,\n" +
        "         0.1975, 0.4484, 0.0753, 0.4455, 0.5321, 0.0000, 0.4504, 0.2476, 0.0000,\n" +
        "         0.0000, 0.2462],\n" +
        "        [0.2326, 0.0623, 0.0000, 0.2878, 0.2767, 0.0000, 0.0000, 0.4339, 0.0302,\n" +
        "         0.1634, 0.5649, 0.0000, 0.2025, 0.4473, 0.0000, 0.6611, 0.1883, 0.0000,\n" +
        "         0.0820, 0.2778],\n" +
        "        [0.3325, 0.2654, 0.1091, 0.0651, 0.3425, 0.0000, 0.0000, 0.2298, 0.3872,\n" +
        "         0.0342, 0.8503, 0.0937, 0.1796, 0.5007, 0.0000, 0.4030, 0.1189, 0.0000,\n" +
        "         0.2048, 0.4343]], grad_fn=<ReluBackward0>)";

    /// <summary>The shown edges of <c>param[:2]</c> per parameter, as (first 3, last 3) of each shown row.</summary>
    /// <remarks>The page shows <c>-0.0001</c> in <c>linear_relu_stack.0.weight</c>'s second row. The real value
    /// had |v| &gt;= 1e-4 (else PyTorch would have switched to scientific notation), while float32(0.0001) is just
    /// below 1e-4; so -0.00012, which prints as -0.0001, stands in for it.</remarks>
    public static readonly (string Name, float[][] Rows)[] ParameterEdges =
    [
        ("linear_relu_stack.0.weight", [[0.0273f, 0.0296f, -0.0084f, -0.0142f, 0.0093f, 0.0135f], [-0.0188f, -0.0354f, 0.0187f, -0.0106f, -0.00012f, 0.0115f]]),
        ("linear_relu_stack.0.bias", [[-0.0155f, -0.0327f]]),
        ("linear_relu_stack.2.weight", [[0.0116f, 0.0293f, -0.0280f, 0.0334f, -0.0078f, 0.0298f], [0.0095f, 0.0038f, 0.0009f, -0.0365f, -0.0011f, -0.0221f]]),
        ("linear_relu_stack.2.bias", [[0.0148f, -0.0256f]]),
        ("linear_relu_stack.4.weight", [[-0.0147f, -0.0229f, 0.0180f, -0.0013f, 0.0177f, 0.0070f], [-0.0202f, -0.0417f, -0.0279f, -0.0441f, 0.0185f, -0.0268f]]),
        ("linear_relu_stack.4.bias", [[0.0070f, -0.0411f]]),
    ];

    /// <summary>The page's parameter lines (on <c>cuda:0</c>), each followed by the empty line print leaves. The
    /// page strips trailing spaces; the real output has one before each line break that ends an entry's
    /// f-string (<c>" \n"</c>), put back here.</summary>
    public const string ParameterLines =
        "Layer: linear_relu_stack.0.weight | Size: torch.Size([512, 784]) | Values : tensor([[ 0.0273,  0.0296, -0.0084,  ..., -0.0142,  0.0093,  0.0135],\n" +
        "        [-0.0188, -0.0354,  0.0187,  ..., -0.0106, -0.0001,  0.0115]],\n" +
        "       device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n" +
        "Layer: linear_relu_stack.0.bias | Size: torch.Size([512]) | Values : tensor([-0.0155, -0.0327], device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n" +
        "Layer: linear_relu_stack.2.weight | Size: torch.Size([512, 512]) | Values : tensor([[ 0.0116,  0.0293, -0.0280,  ...,  0.0334, -0.0078,  0.0298],\n" +
        "        [ 0.0095,  0.0038,  0.0009,  ..., -0.0365, -0.0011, -0.0221]],\n" +
        "       device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n" +
        "Layer: linear_relu_stack.2.bias | Size: torch.Size([512]) | Values : tensor([ 0.0148, -0.0256], device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n" +
        "Layer: linear_relu_stack.4.weight | Size: torch.Size([10, 512]) | Values : tensor([[-0.0147, -0.0229,  0.0180,  ..., -0.0013,  0.0177,  0.0070],\n" +
        "        [-0.0202, -0.0417, -0.0279,  ..., -0.0441,  0.0185, -0.0268]],\n" +
        "       device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n" +
        "Layer: linear_relu_stack.4.bias | Size: torch.Size([10]) | Values : tensor([ 0.0070, -0.0411], device='cuda:0', grad_fn=<SliceBackward0>) \n" +
        "\n";

    /// <summary>The page's <c>print(model)</c> for the quickstart variant (no final ReLU).</summary>
    public const string QuickstartModelText =
        "NeuralNetwork(\n" +
        "  (flatten): Flatten(start_dim=1, end_dim=-1)\n" +
        "  (linear_relu_stack): Sequential(\n" +
        "    (0): Linear(in_features=784, out_features=512, bias=True)\n" +
        "    (1): ReLU()\n" +
        "    (2): Linear(in_features=512, out_features=512, bias=True)\n" +
        "    (3): ReLU()\n" +
        "    (4): Linear(in_features=512, out_features=10, bias=True)\n" +
        "  )\n" +
        ")";

    /// <summary>The seed document's model (older tutorial revision): the same with <c>(5): ReLU()</c>.</summary>
    public const string DocumentedModelText =
        "NeuralNetwork(\n" +
        "  (flatten): Flatten(start_dim=1, end_dim=-1)\n" +
        "  (linear_relu_stack): Sequential(\n" +
        "    (0): Linear(in_features=784, out_features=512, bias=True)\n" +
        "    (1): ReLU()\n" +
        "    (2): Linear(in_features=512, out_features=512, bias=True)\n" +
        "    (3): ReLU()\n" +
        "    (4): Linear(in_features=512, out_features=10, bias=True)\n" +
        "    (5): ReLU()\n" +
        "  )\n" +
        ")";
}
