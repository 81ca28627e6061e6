"""RNN Playground: entry point. Run with `streamlit run app.py`.

Only navigation lives here. Each lab is a small page in pages/; the home page imports no TensorFlow so
it opens fast (the Text and Music labs import it lazily when a Keras model is needed).
"""

import streamlit as st

from ui.server.runner import keep_keras_session, read_long_queries

keep_keras_session()  # Streamlit would clear Keras (and collect garbage) after every run: see ui/server/runner.py
read_long_queries()  # Streamlit would read nothing of an address with over 1,000 parameters: see ui/server/runner.py
st.set_page_config(page_title="RNN Playground", page_icon="🦕", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/dinosaurs.py", title="Dinosaur names", icon="🦕", url_path="dinosaurs"),
    st.Page("pages/text.py", title="Text", icon="📜", url_path="text"),
    st.Page("pages/music.py", title="Music", icon="🎵", url_path="music"),
]

st.navigation(PAGES).run()
