"""What a student reads when a model file is refused: the error every check raises and the sentences more than
one check says (a damaged zip, what can be loaded, code inside a model)."""

from __future__ import annotations

from core.text.text_data import CorpusError

DAMAGED_ZIP = "The zip is damaged: it can't be opened as a zip file. Download the model again and upload that file."
ALLOWED = "only models saved by this page (Embedding → SimpleRNN/LSTM/GRU → Dense) can be loaded"


class ModelZipError(CorpusError):
    """A user-facing reason why an uploaded model zip can't be used; nothing was loaded or changed."""


def _lambda_reason() -> str:
    return (
        "model.keras contains a Lambda layer (Python code stored inside the model), so it is refused: models are "
        f"loaded in Keras safe mode, which never runs code from a file. Nothing was changed; {ALLOWED}."
    )


def _custom_reason(custom: list[str]) -> str:
    return (
        f"model.keras uses custom layers or code ({', '.join(custom[:5])}), so it is refused: this page only knows "
        f"Keras's own layers and loads files in safe mode. Nothing was changed; {ALLOWED}."
    )
