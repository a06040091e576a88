"""onnx.checker.check_model(model, full_check=True) on every .onnx file of the folder given (the graphs the C# tests
exported), and the output shape ONNX's own shape inference derives from each graph once its declared output shape is
removed. Writes the text `checks`: {file: {"check": "ok" or the checker's error, "output": [dims] or the error}}."""
import glob
import os

import onnx

import oracle


def inferred_output(path):
    model = onnx.load(path)
    model.graph.output[0].type.tensor_type.ClearField("shape")
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    tensor = inferred.graph.output[0].type.tensor_type
    if not tensor.HasField("shape"):
        return "no shape inferred"
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in tensor.shape.dim]


results = {}
for path in sorted(glob.glob(os.path.join(oracle.ARGS[0], "*.onnx"))):
    entry = {}
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        entry["check"] = "ok"
    except Exception as e:  # the checker's message is the result
        entry["check"] = f"{type(e).__name__}: {e}"
    try:
        entry["output"] = inferred_output(path)
    except Exception as e:
        entry["output"] = f"{type(e).__name__}: {e}"
    results[os.path.basename(path)] = entry
if not results:
    raise FileNotFoundError(f"no .onnx files in {oracle.ARGS[0]}")
oracle.json_text("checks", results)
oracle.done()
