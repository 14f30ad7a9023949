#!/usr/bin/env python3
"""Checks that a Reflex policy file loads with Python's `safetensors` package.

Usage: check_policy_file.py PATH

Prints the format tag, format version, and each tensor's name, shape and dtype. Exits 0 when the file loads
and carries the reflex-policy tag, 1 when it does not load or is not a Reflex policy, 2 on bad usage or a
missing module (install with `pip install safetensors numpy`).
"""
import json
import sys


def main(argv):
    if len(argv) != 2:
        print("usage: check_policy_file.py PATH", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
    except ImportError as error:
        print(f"missing Python module ({error}): pip install safetensors numpy", file=sys.stderr)
        return 2

    try:
        tensors = load_file(path)
        with safe_open(path, framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except Exception as error:  # the package raises several types; any of them means "does not load"
        print(f"{path}: cannot load: {error}", file=sys.stderr)
        return 1

    tag = metadata.get("format")
    print(f"format: {tag}")
    print(f"format_version: {metadata.get('format_version')}")
    for name in sorted(tensors):
        array = tensors[name]
        print(f"tensor {name} shape={list(array.shape)} dtype={array.dtype}")
        if array.dtype != np.float32:
            print(f"{path}: tensor {name} has dtype {array.dtype}, expected float32", file=sys.stderr)
            return 1
    if tag != "reflex-policy":
        print(f"{path}: not a Reflex policy file (format tag {tag!r})", file=sys.stderr)
        return 1
    for key in ("architecture", "observation_channels", "actuator_channels", "action_space", "provenance", "obs_norm"):
        if key not in metadata:
            print(f"{path}: metadata entry {key!r} missing", file=sys.stderr)
            return 1
        try:
            json.loads(metadata[key], parse_constant=lambda c: float(c))
        except ValueError as error:
            print(f"{path}: metadata entry {key!r} is not JSON: {error}", file=sys.stderr)
            return 1
    if "observation_features" in metadata:
        # Optional: per encoder channel, cos/sin of counts x scale + offset and a wrap-aware velocity,
        # computed before normalization; the network then reads more values than there are channels.
        try:
            features = json.loads(metadata["observation_features"], parse_constant=lambda c: float(c))
            for entry in features:
                print(f"observation_features: {entry['channel']} [{', '.join(entry['transforms'])}]")
        except (ValueError, KeyError, TypeError) as error:
            print(f"{path}: metadata entry 'observation_features' is not a list of channel entries: {error}", file=sys.stderr)
            return 1
    architecture = json.loads(metadata["architecture"])
    head_input = architecture["input_size"]
    if architecture.get("kind") == "cnn":
        # Convolutions over image_shape [C, H, W] (no padding), flattened into the affine head.
        channels, height, width = architecture["image_shape"]
        for layer, conv in enumerate(architecture["convolutions"]):
            k, s, f = conv["kernel"], conv["stride"], conv["filters"]
            for name, shape in ((f"encoder.{layer}.weight", (f, channels, k, k)), (f"encoder.{layer}.bias", (f,))):
                if name not in tensors or tuple(tensors[name].shape) != shape:
                    print(f"{path}: tensor {name} missing or not of shape {list(shape)}", file=sys.stderr)
                    return 1
            channels, height, width = f, (height - k) // s + 1, (width - k) // s + 1
        head_input = channels * height * width
        if "image_preprocessing" not in metadata:
            print(f"{path}: a cnn policy needs metadata entry 'image_preprocessing'", file=sys.stderr)
            return 1
    sizes = [head_input, *architecture["hidden_sizes"], architecture["output_size"]]
    for layer in range(len(sizes) - 1):
        for name, shape in ((f"actor.{layer}.weight", (sizes[layer + 1], sizes[layer])), (f"actor.{layer}.bias", (sizes[layer + 1],))):
            if name not in tensors or tuple(tensors[name].shape) != shape:
                print(f"{path}: tensor {name} missing or not of shape {list(shape)}", file=sys.stderr)
                return 1
    print(f"architecture: {sizes} {architecture['activation']} {architecture['head']}")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
