"""model.keras checked without Keras: only its three members, each within its cap; config.json parsed and its
architecture checked against the lab's caps and every layer option against core.models.keras_model.LAYER_OPTIONS
before any layer is built; the weights no larger than that architecture's can be. Simplified on purpose: only
Sequential models of Keras's own layers (Embedding -> SimpleRNN/LSTM/GRU [+ Dropout] -> Dense) are accepted."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

from core.files.model_zip.archive import _check_declared, _check_names, _read, _stream
from core.files.model_zip.limits import (
    INNER_MEMBER_CAPS,
    MAX_CONFIG_BYTES,
    MAX_EMBED,
    MAX_LAYER_ENTRIES,
    MAX_LEARNING_RATE,
    MAX_METADATA_BYTES,
    MAX_OUTER_MEMBERS,
    MAX_VOCAB_SIZE,
    weights_cap,
)
from core.files.model_zip.messages import ALLOWED, ModelZipError, _custom_reason, _lambda_reason
from core.files.model_zip.values import _real, _shown
from core.models.keras_model import (
    CELL_NAMES,
    LAYER_OPTIONS,
    MAX_HIDDEN,
    MAX_LAYERS,
    ModelFormatError,
    RNNConfig,
    check_dropout_layout,
    check_layer_options,
    count_params,
)


def check_keras_archive(path: str | Path, n_chars: int) -> RNNConfig:
    """Check model.keras at ``path`` without Keras -> the architecture it declares (training settings at defaults).

    Members: only metadata.json, config.json and model.weights.h5, each within INNER_MEMBER_CAPS on its declared
    size and while streamed; config.json parsed and checked by ``check_model_config``; the weights no larger than
    that architecture's weights and Adam state can be (``weights_cap``). ModelZipError with the reason.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_names(infos, "model.keras", MAX_OUTER_MEMBERS)
            by_name = {i.filename: i for i in infos}
            extra = sorted(set(by_name) - set(INNER_MEMBER_CAPS))
            if extra:
                raise ModelZipError(
                    f"model.keras holds {extra[0][:80]!r}, which a model saved by this page doesn't; {ALLOWED}."
                )
            missing = [n for n in ("config.json", "model.weights.h5") if n not in by_name]
            if missing:
                raise ModelZipError(f"model.keras lacks {' and '.join(missing)}; Keras could not load it.")
            for info in infos:  # declared sizes of every member and their sum, before anything is unpacked
                _check_declared(info, INNER_MEMBER_CAPS[info.filename], f"model.keras's {info.filename}")
            declared = sum(i.file_size for i in infos)
            if declared > sum(INNER_MEMBER_CAPS.values()):
                raise ModelZipError(
                    f"model.keras declares {declared:,} bytes once unpacked; the limit is "
                    f"{sum(INNER_MEMBER_CAPS.values()):,}."
                )
            if "metadata.json" in by_name:
                _stream(zf, by_name["metadata.json"], MAX_METADATA_BYTES, "model.keras's metadata.json")
            raw = _read(zf, by_name["config.json"], MAX_CONFIG_BYTES, "model.keras's config.json")
            try:
                cfg = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise ModelZipError("Keras could not load model.keras: its config.json is not valid JSON.") from None
            arch = check_model_config(cfg, n_chars)
            cap = weights_cap(count_params(n_chars, arch))
            _stream(
                zf,
                by_name["model.weights.h5"],
                cap,
                f"model.keras's weights (for {CELL_NAMES[arch.cell]} {arch.hidden} × {arch.layers})",
            )
            return arch
    except zipfile.BadZipFile:
        raise ModelZipError(
            "Keras could not load model.keras: it is not a valid Keras archive (a damaged zip)."
        ) from None


def _code_in_config(cfg: Any) -> tuple[bool, list[str]]:
    """(has a Lambda layer, names of classes from outside Keras) anywhere in a config tree."""
    has_lambda, custom = False, []
    stack = [cfg]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            name = node.get("class_name")
            if isinstance(name, str):
                module = node.get("module")
                if name == "Lambda":
                    has_lambda = True
                elif "registered_name" in node and not (isinstance(module, str) and module.startswith("keras")):
                    custom.append(name)
            stack.extend(node.values())
    return has_lambda, sorted(set(custom))


def _int_field(layer: dict, key: str, label: str, lo: int, hi: int, cap_name: str) -> int:
    """layer["config"][key] as an int in [lo, hi]; ModelZipError naming the field and the cap otherwise."""
    v = layer["config"].get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ModelZipError(f"model.keras: {label} has {key} = {_shown(v)}, not a whole number. Nothing was built.")
    if not lo <= v <= hi:
        raise ModelZipError(
            f"model.keras declares {label} with {key} = {v:,}; this lab's limit is {lo:,} to {hi:,} ({cap_name}). "
            "Refused before building anything."
        )
    return v


def _check_build_shape(layer: dict, label: str, features: int) -> None:
    """A layer's build_config (the input shape Keras builds its weights for) must end in ``features``."""
    build = layer.get("build_config")
    if build is None:
        return
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 3
        or shape[-1] != features
        or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape)
    ):
        raise ModelZipError(
            f"model.keras: {label} is built for inputs of shape {_shown(shape)[:60]}, not (…, {features}). Nothing "
            "was built."
        )


def check_model_config(cfg: Any, n_chars: int) -> RNNConfig:
    """Check a Keras 3 config.json (parsed) against the lab's caps before any layer exists -> its architecture.

    Expects ``{"class_name": "Sequential", "config": {"layers": [{"class_name", "config": {...}}, ...]}}`` with
    layers [InputLayer,] Embedding(input_dim = n_chars <= 1,000, output_dim <= 256), 1 to 3 SimpleRNN/LSTM/GRU
    of the same kind and units <= 1,024 (each optionally followed by Dropout), Dense(units = n_chars). A
    Functional or subclassed model is refused: its graph can't be checked this simply. ModelZipError naming
    the field and its cap; the returned RNNConfig has the declared cell, hidden, layers, embedding and dropout.
    """
    has_lambda, custom = _code_in_config(cfg)
    if has_lambda:
        raise ModelZipError(_lambda_reason())
    if custom:
        raise ModelZipError(_custom_reason(custom))
    if not isinstance(cfg, dict) or cfg.get("class_name") != "Sequential":
        kind = cfg.get("class_name") if isinstance(cfg, dict) else None
        raise ModelZipError(
            f"model.keras holds a {kind if isinstance(kind, str) else 'non-Keras'} model, not a Sequential one; "
            f"{ALLOWED}."
        )
    layers = cfg.get("config", {}).get("layers") if isinstance(cfg.get("config"), dict) else None
    if not isinstance(layers, list) or not all(
        isinstance(l, dict) and isinstance(l.get("config"), dict) and isinstance(l.get("class_name"), str)
        for l in layers
    ):
        raise ModelZipError(f"Keras could not load model.keras: its config.json has no list of layers; {ALLOWED}.")
    _check_options("Sequential", {k: v for k, v in cfg["config"].items() if k != "layers"})
    for layer in layers:
        if layer["class_name"] in LAYER_OPTIONS:  # any other class is refused below, by name
            _check_options(layer["class_name"], layer["config"])
    if layers and layers[0]["class_name"] == "InputLayer":
        layers = layers[1:]
    if len(layers) > MAX_LAYER_ENTRIES:
        raise ModelZipError(
            f"model.keras declares {len(layers):,} layers; this lab's models have at most {MAX_LAYER_ENTRIES}. "
            "Nothing was built."
        )
    if not layers or layers[0]["class_name"] != "Embedding":
        raise ModelZipError("The model must start with an Embedding layer (token ids in).")
    if layers[-1]["class_name"] != "Dense":
        raise ModelZipError("The model must end with a Dense layer (one logit per token).")
    emb, dense, middle = layers[0], layers[-1], layers[1:-1]
    vocab = _int_field(emb, "input_dim", "the Embedding", 2, MAX_VOCAB_SIZE, "vocabulary size")
    embed_dim = _int_field(emb, "output_dim", "the Embedding", 1, MAX_EMBED, "embedding size")
    if vocab != n_chars:
        raise ModelZipError(
            f"vocab.json has {n_chars} characters but the model predicts {vocab} tokens: they don't belong together."
        )
    rnns, dropout, features, rates = [], 0.0, embed_dim, []
    for layer in middle:
        kind, label = layer["class_name"], f"layer {layer['config'].get('name', '?')!s:.40}"
        if kind in ("SimpleRNN", "LSTM", "GRU"):
            units = _int_field(layer, "units", f"the {kind} {label}", 1, MAX_HIDDEN, "hidden size")
            _check_build_shape(layer, f"the {kind} {label}", features)
            rnns.append((kind, units))
            features = units
        elif kind == "Dropout":
            rate = _real(layer["config"].get("rate"))
            if rate is None or not 0 <= rate < 1:
                raise ModelZipError(
                    f"model.keras: the Dropout {label} has rate {_shown(layer['config'].get('rate'))}; it must be "
                    "from 0 to below 1."
                )
            dropout = max(dropout, rate)  # check_dropout_layout: every Dropout above 0 has the same rate
            rates.append(rate)
        else:
            raise ModelZipError(
                f"Unsupported layer {kind!r}: only SimpleRNN, LSTM, GRU and Dropout between Embedding and Dense."
            )
    if not 1 <= len(rnns) <= MAX_LAYERS:
        raise ModelZipError(f"The model has {len(rnns)} recurrent layers; 1 to {MAX_LAYERS} are supported.")
    try:
        check_dropout_layout([layer["class_name"] for layer in middle], rates)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None
    if len({k for k, _ in rnns}) != 1 or len({u for _, u in rnns}) != 1:
        raise ModelZipError("All recurrent layers must be of the same kind and size.")
    units = _int_field(dense, "units", "the Dense layer", 2, MAX_VOCAB_SIZE, "vocabulary size")
    if units != vocab:
        raise ModelZipError(f"The Dense layer predicts {units} tokens but the Embedding reads {vocab}.")
    _check_build_shape(dense, "the Dense layer", features)
    _check_optimizer(cfg.get("compile_config"))
    cell = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}[rnns[0][0]]
    return RNNConfig(cell=cell, hidden=rnns[0][1], layers=len(rnns), embed_dim=embed_dim, dropout=dropout)


def _check_options(kind: str, config: dict) -> None:
    """One layer's options checked on core.models.keras_model.LAYER_OPTIONS before Keras builds it; ModelZipError naming
    it."""
    try:
        check_layer_options(kind, config)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None


def _check_optimizer(compile_config: Any) -> None:
    """A stored learning rate, when it is a plain number, must be finite and in (0, 10]."""
    if not isinstance(compile_config, dict) or not isinstance(compile_config.get("optimizer"), dict):
        return
    opt = compile_config["optimizer"].get("config")
    lr = opt.get("learning_rate") if isinstance(opt, dict) else None
    if (
        isinstance(lr, (int, float))
        and not isinstance(lr, bool)
        and not (math.isfinite(lr) and 0 < lr <= MAX_LEARNING_RATE)
    ):
        raise ModelZipError(
            f"model.keras's optimizer has learning rate {_shown(lr)}; it must be above 0 and at most "
            f"{MAX_LEARNING_RATE:g}."
        )
