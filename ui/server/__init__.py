"""Streamlit glue for serving: the reload store's page side, replicas, the script runner tweak."""
