"""Serving a class: memory budget, giving memory back, and the reload store."""
