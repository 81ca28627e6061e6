"""Serving the app: one `streamlit run app.py` (app_server) and a class of them behind HAProxy (serve_class)."""
