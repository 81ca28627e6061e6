"""Home page: what each lab teaches, with links, and the bundled lessons (ui/toolkit/lessons.py). Keep it light: no
TensorFlow, no model building."""

import streamlit as st

from ui.nav import start_page
from ui.toolkit import lessons

start_page()
lessons.open_from_home()  # /?lesson=NAME goes to the lesson's lab

st.title("RNN Playground")
st.markdown(
    "Train small recurrent networks live, watch the loss fall, and look inside every prediction. "
    "Each lab trains in your own browser session: nothing you do here affects anyone else."
)
lessons.start_here()  # a student's first step: which lab, which lesson, what to press

LABS = [
    (
        "pages/dinosaurs.py",
        "🦕 Dinosaur names",
        "A character-level RNN written from scratch in numpy, in the notation of the classic course exercise "
        "(Wax, Waa, Wya, b, by). It reads one dinosaur name at a time, learns by back-propagation through time "
        "with clipped gradients, and invents new names. Learn: the forward equations, BPTT, gradient clipping, "
        "sampling with temperature.",
    ),
    (
        "pages/text.py",
        "📜 Text",
        "A character-level language model in Keras (SimpleRNN, LSTM or GRU; 1 to 3 layers) trained live on "
        "Shakespeare or your own text, with a validation split. Learn: many-to-many training, how cell type and "
        "size change the loss curve, train vs validation loss and perplexity, and how temperature and top-k "
        "shape generated text. Save the model and load it again later.",
    ),
    (
        "pages/music.py",
        "🎵 Music",
        "After the course's jazz exercise, with its own choices: MIDI files become a sequence of values (a note, "
        "chord or rest with its length), each value is looked up in a learned embedding (the course uses one-hot "
        "vectors and 90 values), an LSTM learns from random snippets of 30 values, then composes one value at a time, "
        "feeding each back in. Pick Bach chorales or Irish folk tunes (or upload your own MIDI), train, listen, "
        "download the .mid. "
        "Learn: turning music into tokens, vocabularies, sequence models, sampling, and whether it keeps key and "
        "rhythm.",
    ),
]

for page, label, blurb in LABS:
    with st.container(border=True):
        st.page_link(page, label=label)
        st.markdown(blurb)

lessons.home_list()

with st.expander("What is the inspector?"):
    st.markdown(
        "Every lab can show, for each generated token, the probability distribution the model produced "
        "(what it believed), the distribution after temperature (and top-k, in the Text lab) that it sampled "
        "from, the token it picked and the entropy of the choice."
    )
