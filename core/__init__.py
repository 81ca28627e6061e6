"""The playground's plain-Python core (numpy, Keras, pretty_midi); never imports streamlit.

Two TensorFlow settings are made here, before anything in the process can import TensorFlow (only modules of
this package do, lazily): quiet C++ logs, and TF_ONEDNN_USE_SYSTEM_ALLOCATOR. Without the latter, TensorFlow's
oneDNN kernels allocate from a pool of their own that never gives memory back: a class server that once trained
one large model stayed ~0.8 GB larger for good. With it, freed memory goes back to glibc, and
core.server.memory.release_memory() returns it to the system (measured in docs/classroom.md).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")
