"""Streamlit views of Look inside."""
