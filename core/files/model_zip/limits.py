"""The caps every check of a model zip applies: the upload (the outer zip), the model itself (the lab's own
limits: the largest model a student can build), the inner archive (model.keras, sized from the largest model's
weights and Adam state) and the ranges of the metadata in vocab.json."""

from __future__ import annotations

from core.models.keras_model import MAX_HIDDEN, MAX_LAYERS, RNNConfig, count_params
from core.models.trainer import MAX_SEED  # noqa: F401 - the seeds' range, checked in the metadata
from core.text.text_data import MAX_VOCAB

# --- caps on an upload (the outer zip)
MAX_MODEL_ZIP_BYTES = 200 * 1024 * 1024  # default upload limit for a model zip; the Text lab passes its own (20 MB)
MAX_VOCAB_JSON_BYTES = 1024 * 1024  # vocab.json: 1,000 characters plus metadata is a few KB
MAX_OUTER_MEMBERS = 16  # members of the outer zip (we write 2) and of model.keras (Keras writes 3)

# --- caps on the model itself, the lab's own limits (the largest model a student can build)
MAX_EMBED = 256  # largest embedding (the Text lab's slider; the Music lab uses 32)
MAX_VOCAB_SIZE = MAX_VOCAB  # Embedding input_dim = Dense units = characters in vocab.json (core.text.text_data)
MAX_LAYER_ENTRIES = 2 + 2 * MAX_LAYERS + 1  # Input, Embedding, (recurrent + Dropout) x layers, Dense
LARGEST = RNNConfig(cell="lstm", hidden=MAX_HIDDEN, layers=MAX_LAYERS, embed_dim=MAX_EMBED)  # LSTM has the most weights
MAX_PARAMS = count_params(MAX_VOCAB_SIZE, LARGEST)  # 23,313,384 trainable parameters
ADAM_COPIES = 3  # weights + Adam's two moment estimates (m, v), all float32, in model.weights.h5

# --- caps on the inner archive (model.keras)
MAX_CONFIG_BYTES = 1024 * 1024  # config.json: ~4 KB per layer for this app's models
MAX_METADATA_BYTES = 64 * 1024  # metadata.json: ~64 bytes
WEIGHTS_SLACK_BYTES = 1024 * 1024  # HDF5 structure (~1 KB per stored array) and the optimizer's counters


def weights_cap(params: int) -> int:
    """Largest model.weights.h5 accepted for a model with ``params`` trainable parameters (float32 + Adam)."""
    return int(ADAM_COPIES * 4 * params * 1.1) + WEIGHTS_SLACK_BYTES  # +10% and 1 MB for HDF5's own structure


MAX_WEIGHTS_BYTES = weights_cap(MAX_PARAMS)  # 308,785,244 bytes (~294 MB) for the largest model
INNER_MEMBER_CAPS = {
    "metadata.json": MAX_METADATA_BYTES,
    "config.json": MAX_CONFIG_BYTES,
    "model.weights.h5": MAX_WEIGHTS_BYTES,
}
MAX_MODEL_KERAS_BYTES = sum(INNER_MEMBER_CAPS.values()) + 64 * 1024  # model.keras as stored by Keras, plus zip headers
STREAM_CHUNK = 1024 * 1024  # bytes decompressed at a time while checking a member

# --- metadata (vocab.json "meta") ranges
MAX_STEP = 10**9  # optimizer steps
MAX_TOKENS = 10**15  # training tokens seen
MAX_ELAPSED_S = 10**9  # seconds of training (~31 years)
MAX_LEARNING_RATE = 10.0  # the largest rate on the Text lab's slider
SEQ_LEN_RANGE = (16, 256)  # the Text lab's window lengths (core.labs.text_lab.SEQ_OPTIONS)
BATCH_RANGE = (4, 128)  # the Text lab's batch sizes (core.labs.text_lab.BATCH_OPTIONS)
MAX_DROPOUT = 0.99  # dropout must stay below 1
MAX_META_TEXT = 200  # characters kept of a text field (corpus name, app)
DEFAULT = RNNConfig()  # what a dropped setting falls back to (said in the message)
