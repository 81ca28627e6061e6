"""The "Get the code" section of every lab page: the lab's training code with the student's settings, as a script,
a notebook and one .zip with the data (and the trained weights), from core.files.get_code through the lab.

It shows only for a lab that writes its code (``lab.has_code``), once the lab has a run, and ``hide=toolkit`` hides
it. The files are made on the page's run, under the lab's lock (between two slices of training: the weights are
those of one step), and handed to the download buttons as bytes, which Streamlit keeps while the live fragment
refreshes (a callable would be made later on another thread; see docs/architecture.md)."""

from __future__ import annotations

import streamlit as st

from ui.toolkit import links

SCRATCH, TRAINED = "scratch", "trained"  # the "Start the code" choices


def render(lab, key: str) -> None:
    """The section: what the student gets, "from scratch" or "from my trained model", and the three downloads."""
    if not lab.has_code or lab.trainer is None or not links.shown("toolkit"):
        return
    st.divider()
    st.subheader("Get the code")
    st.caption(
        "Take this lab home: the code that trains this model, with the settings you chose, as a Python script and "
        "as a Jupyter notebook (Colab opens it too), each step explained. The .zip holds both, the copy of the data "
        "they read and, from your trained model, its weights."
    )
    step = int(lab.trainer.step)
    trained = False
    if step > 0:
        labels = {SCRATCH: "from scratch", TRAINED: f"from my trained model (step {step:,})"}
        choice = st.radio(
            "Start the code", list(labels), format_func=labels.get, horizontal=True, key=f"{key}_code_from"
        )
        trained = choice == TRAINED
    try:
        with lab.lock:  # one step's weights and settings
            program = lab.get_code(trained=trained)
            weights = lab.code_weights() if trained else None
    except ValueError as exc:  # a sentence for the student: e.g. a loaded model with no text to train on
        st.info(str(exc))
        return
    files = program.files()
    py, nb = f"{program.stem}.py", f"{program.stem}.ipynb"
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "⬇ Script (.py)", files[py], file_name=py, mime="text/x-python", key=f"{key}_code_py", on_click="ignore"
    )
    c2.download_button(
        "⬇ Notebook (.ipynb)",
        files[nb],
        file_name=nb,
        mime="application/x-ipynb+json",
        key=f"{key}_code_ipynb",
        on_click="ignore",
    )
    c3.download_button(
        "⬇ Everything (.zip)",
        program.zip(weights),
        file_name=f"{program.stem}.zip",
        mime="application/zip",
        key=f"{key}_code_zip",
        on_click="ignore",
    )
    # the files beside the program: a folder once (the Music lab's MIDI files), not every file in it
    names = [*dict(program.data), *([weights[0]] if weights else [])]
    needs = " and ".join(f"`{n}`" for n in dict.fromkeys(n.split("/")[0] + "/" if "/" in n else n for n in names))
    st.caption(
        program.run
        + (f" The script and the notebook alone need {needs} beside them: the .zip has them." if needs else "")
        + (" Training goes on here: the weights are the model at the step above." if trained and lab.running else "")
    )
