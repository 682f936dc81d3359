#!/usr/bin/python3
"""Writes fuzz/bases/keras_layers.h5: a small Keras 2.x file (as Keras writes it with
h5py) with every layer kind the importer supports, the base file the Keras fuzzer edits
besides the pretrained CNN. Run from the repository root; the file is committed."""
import json

import h5py
import numpy as np

rng = np.random.default_rng(1)


def layer(cls, **config):
    return {"class_name": cls, "config": config}


layers = [
    layer("InputLayer", name="input", batch_input_shape=[None, 6, 6, 2]),
    layer("Conv2D", name="conv", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same",
          activation="linear", use_bias=True, data_format="channels_last"),
    layer("BatchNormalization", name="bn", axis=-1, epsilon=1e-3),
    layer("ReLU", name="relu"),
    layer("MaxPooling2D", name="pool", pool_size=[2, 2], strides=[2, 2], padding="valid"),
    layer("Conv2D", name="conv2", filters=4, kernel_size=[1, 1], strides=[1, 1], padding="valid",
          activation="relu", use_bias=False, data_format="channels_last"),
    layer("AveragePooling2D", name="avg", pool_size=[1, 1], strides=[1, 1], padding="valid"),
    layer("GlobalAveragePooling2D", name="gap"),
    layer("Dropout", name="drop", rate=0.5),
    layer("Dense", name="fc", units=5, activation="relu", use_bias=True),
    layer("Dense", name="out", units=3, activation="linear", use_bias=True),
    layer("Activation", name="softmax", activation="softmax"),
]
weights = {
    "conv": [("kernel:0", (3, 3, 2, 3)), ("bias:0", (3,))],
    "bn": [("gamma:0", (3,)), ("beta:0", (3,)), ("moving_mean:0", (3,)),
           ("moving_variance:0", (3,))],
    "conv2": [("kernel:0", (1, 1, 3, 4))],
    "fc": [("kernel:0", (4, 5)), ("bias:0", (5,))],
    "out": [("kernel:0", (5, 3)), ("bias:0", (3,))],
}
with h5py.File("fuzz/bases/keras_layers.h5", "w") as f:
    f.attrs["model_config"] = json.dumps(
        {"class_name": "Sequential", "config": layers}).encode("utf8")
    f.attrs["keras_version"] = b"2.0.4"
    f.attrs["backend"] = b"tensorflow"
    root = f.create_group("model_weights")
    names = [l["config"]["name"] for l in layers]
    root.attrs["layer_names"] = np.array([n.encode() for n in names])
    for name in names:
        group = root.create_group(name)
        ws = weights.get(name, [])
        group.attrs["weight_names"] = np.array([f"{name}/{w}".encode() for w, _ in ws],
                                               dtype="S32")
        for w, shape in ws:
            values = rng.normal(0, 0.5, shape).astype(np.float32)
            if w == "moving_variance:0":
                values = np.abs(values) + 1
            group.create_dataset(f"{name}/{w}", data=values)
