"""Streamlit views of the teacher's toolkit: links, lessons, race, hand-in, time-lapse, meters."""
