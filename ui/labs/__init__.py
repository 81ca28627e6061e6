"""Streamlit views that belong to one lab's features: model files, music, training options."""
