"""Model files of the labs: the zip a student downloads and uploads again, checked before Keras opens it.

Layout of the zip (the outer archive):

    model.keras   Keras's native format, itself a zip (the inner archive, members stored as Keras writes them):
                    metadata.json      {"keras_version", "date_saved"}
                    config.json        the architecture and the compile settings (layers, units, optimizer)
                    model.weights.h5   weights and optimizer state (HDF5)
    vocab.json    {"format": "rnn-playground-vocab", "version": 1, "chars": [...], "meta": {...}}

An upload is checked in this order, and nothing reaches Keras before every check has passed:

1. the outer zip: its size, its member names and declared sizes; vocab.json is read with a byte cap and parsed;
2. the inner archive: only the three members above, each within its own cap, checked on the sizes the archive
   declares and again while every member is decompressed in a stream with a byte cap (a crafted header can lie);
3. config.json (at most ``MAX_CONFIG_BYTES``) is parsed and its architecture checked against the lab's caps
   (hidden, layers, embedding, vocabulary) and every layer option against core.models.keras_model.LAYER_OPTIONS (what
   the playground can train, sample, look inside and rebuild) before any layer is built; the weights must fit it;
4. Keras loads the file in safe mode (it never runs code stored in a file). Nothing is ever unpickled.

``validate_meta`` checks the metadata in vocab.json field by field (types, ranges, NaN/Infinity) and says
what it dropped or clamped. Simplified on purpose: only Sequential models of Keras's own layers are accepted
(Embedding -> SimpleRNN/LSTM/GRU [+ Dropout] -> Dense), the shape this app saves; anything the checks can't
verify is refused rather than guessed at.

One job per module: limits (the caps), messages (the error and the sentences shared by the checks), values (numbers
read from a file and shown in a message), vocab (vocab.json), meta (its metadata checked), archive (zips read with
caps, the outer zip), keras_check (model.keras checked without Keras), keras_zip (the Keras labs' zip written and
loaded), history (history.json of a trained starting point), numpy_zip (the Dinosaur lab's numpy zip). This module
gathers the names the rest of the app uses.
"""

from core.files.model_zip.archive import read_meta
from core.files.model_zip.history import history_from_json, history_to_json, read_history
from core.files.model_zip.keras_check import check_keras_archive, check_model_config
from core.files.model_zip.keras_zip import export_model_zip, import_model_zip
from core.files.model_zip.limits import MAX_CONFIG_BYTES, MAX_MODEL_ZIP_BYTES, MAX_VOCAB_JSON_BYTES, weights_cap
from core.files.model_zip.messages import DAMAGED_ZIP, ModelZipError
from core.files.model_zip.meta import validate_meta
from core.files.model_zip.numpy_zip import (
    MAX_DINO_ITERATIONS,
    NUMPY_MEMBER,
    NUMPY_WEIGHTS,
    export_numpy_zip,
    import_numpy_zip,
    validate_numpy_meta,
)
from core.files.model_zip.vocab import tokens_from_json, tokens_to_json, vocab_from_json, vocab_to_json

__all__ = [
    "DAMAGED_ZIP",
    "MAX_CONFIG_BYTES",
    "MAX_DINO_ITERATIONS",
    "MAX_MODEL_ZIP_BYTES",
    "MAX_VOCAB_JSON_BYTES",
    "NUMPY_MEMBER",
    "NUMPY_WEIGHTS",
    "ModelZipError",
    "check_keras_archive",
    "check_model_config",
    "export_model_zip",
    "export_numpy_zip",
    "history_from_json",
    "history_to_json",
    "import_model_zip",
    "import_numpy_zip",
    "read_history",
    "read_meta",
    "tokens_from_json",
    "tokens_to_json",
    "validate_meta",
    "validate_numpy_meta",
    "vocab_from_json",
    "vocab_to_json",
    "weights_cap",
]
