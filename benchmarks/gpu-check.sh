#!/usr/bin/env bash
# The GPU check (benchmarks/README.md, "GPU"), in two halves:
#
#   benchmarks/gpu-check.sh build          here, with the .NET SDK: publishes benchmarks/NeuralNet.Torch.GpuCheck and
#                                          examples/01-QuickStart self-contained for linux-x64, WITHOUT libtorch
#                                          (-p:TorchBackend=external), into .gpucheck/gpucheck.tar.gz (git-ignored).
#   benchmarks/gpu-check.sh run [REPORT]   there, on the GPU machine (no .NET needed): unpacks the payload, finds
#                                          Python's torch/lib, sets NEURALNET_LIBTORCH_DIR, runs every check and
#                                          writes ONE report (default: $OUT/gpu-check-report.md, else
#                                          .gpucheck/gpu-check-report.md), then prints it.
#
# `run` takes NEURALNET_LIBTORCH_DIR as it is when set (e.g. a libtorch without Python), and PYTHON (default python3)
# for the interpreter whose torch to use. It exits 0 when no check failed, 1 when one did, 2 when it could not start.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.gpucheck"
payload="$state/gpucheck.tar.gz"

build() {
    rm -rf "$state/payload" "$state/artifacts"
    mkdir -p "$state"
    # Its own artifacts folder: a RID-specific, backend-less restore must not touch the normal bin/ and obj/.
    local options=(-c Release -r linux-x64 --self-contained true -p:TorchBackend=external
        -p:UseArtifactsOutput=true "-p:ArtifactsPath=$state/artifacts" -p:DebugType=none
        -p:InvariantGlobalization=true -p:SatelliteResourceLanguages=en -o "$state/payload" --nologo)
    dotnet publish "$root/benchmarks/NeuralNet.Torch.GpuCheck/NeuralNet.Torch.GpuCheck.csproj" "${options[@]}"
    dotnet publish "$root/examples/01-QuickStart/QuickStart.csproj" "${options[@]}"

    local glue="$state/payload/libLibTorchSharp.so"
    [[ -f "$glue" ]] || { echo "error: $glue is missing from the payload" >&2; exit 2; }
    local carried
    carried=$(find "$state/payload" -name 'libtorch*.so*' -o -name 'libc10*.so*')
    if [[ -n "$carried" ]]; then
        echo "error: the payload carries libtorch; it must use the GPU machine's: $carried" >&2
        exit 2
    fi
    if command -v readelf >/dev/null && ! grep -Eq 'GLIBCXX_3\.4\.32 +Flags: WEAK' <<<"$(readelf -V "$glue")"; then
        echo "error: $glue is not patched (GLIBCXX_3.4.32 should be WEAK: NeuralNet.Torch's libstdc++ step)" >&2
        exit 2
    fi
    tar -C "$state" -czf "$payload" payload
    echo "payload: $(du -sb "$state/payload" | cut -f1) bytes unpacked, $(stat -c %s "$payload") bytes as $payload"
    rm -rf "$state/payload" "$state/artifacts"
}

run() {
    [[ -f "$payload" ]] || { echo "error: $payload not found: run '$0 build' first (on a machine with the .NET SDK)" >&2; exit 2; }
    local report=${1:-${OUT:-$state}/gpu-check-report.md}
    mkdir -p "$(dirname "$report")"
    work=$(mktemp -d "${TMPDIR:-/tmp}/gpucheck.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    tar -C "$work" -xzf "$payload"

    # What Python's torch says: version, CUDA, GPU name, and the folders of the CUDA libraries it loaded (a fallback
    # for the check when the library's own loading does not find them).
    local python=${PYTHON:-python3} info=""
    if command -v "$python" >/dev/null; then
        info=$("$python" - <<'PY' 2>/dev/null || true
import os
try:
    import torch
except Exception:
    raise SystemExit(0)
print("lib=" + os.path.join(os.path.dirname(torch.__file__), "lib"))
print("version=" + torch.__version__)
cuda = torch.cuda.is_available()
print("cuda=" + ("true" if cuda else "false"))
if cuda:
    print("gpu=" + torch.cuda.get_device_name(0))
    x = torch.ones(1, 1, 4, 4, device="cuda")
    torch.nn.functional.conv2d(x, torch.ones(1, 1, 3, 3, device="cuda")).sum().item()
    folders = []
    for line in open("/proc/self/maps"):
        fields = line.split()
        path = fields[5] if len(fields) >= 6 else ""
        folder = os.path.dirname(path)
        if ".so" in path and ("nvidia" in path or "cuda" in path.lower() or "cudnn" in path.lower()) and folder not in folders:
            folders.append(folder)
    print("ld=" + ":".join(folders))
PY
)
    fi
    value() { sed -n "s/^$1=//p" <<<"$info" | head -n 1; }

    if [[ -z "${NEURALNET_LIBTORCH_DIR:-}" ]]; then
        NEURALNET_LIBTORCH_DIR=$(value lib)
        [[ -n "$NEURALNET_LIBTORCH_DIR" ]] || { echo "error: NEURALNET_LIBTORCH_DIR is not set and '$python' has no torch to find torch/lib with" >&2; exit 2; }
    fi
    export NEURALNET_LIBTORCH_DIR
    local gpu
    gpu=$(value gpu)
    if [[ -z "$gpu" ]] && command -v nvidia-smi >/dev/null; then
        gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)
    fi

    local arguments=(--report "$report")
    if [[ -n "$gpu" ]]; then arguments+=(--gpu-name "$gpu"); fi
    if [[ -n "$(value version)" ]]; then arguments+=(--python-torch "$(value version)" --python-cuda "$(value cuda)"); fi
    if [[ -n "$(value ld)" ]]; then arguments+=(--ld-fallback "$(value ld)"); fi
    local status=0
    "$work/payload/NeuralNet.Torch.GpuCheck" "${arguments[@]}" || status=$?
    echo
    cat "$report"
    return "$status"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 build | run [REPORT]" >&2; exit 2 ;;
esac
