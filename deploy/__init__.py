"""Serving the app: one `streamlit run app.py` (app_server), a class of them behind HAProxy (serve_class), and the
classroom load test that measures such a class (load)."""
