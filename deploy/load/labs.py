"""The labs as the load and soak tests see them: each lab's page, the training counter it shows, its unit and its
warm-up."""

from __future__ import annotations

# Per lab: its page (url path, also st.navigation's page name), the counter on the page (a st.metric), its
# unit, and how long to let every session get going before measuring (the Text lab builds its model first).
LABS = {
    "dinosaurs": {
        "title": "Dinosaur",
        "path": "/dinosaurs",
        "counter": "Names trained on",
        "unit": "names",
        "warmup_s": 5.0,
    },
    "text": {"title": "Text", "path": "/text", "counter": "Step", "unit": "optimizer steps", "warmup_s": 10.0},
    "music": {"title": "Music", "path": "/music", "counter": "Steps", "unit": "optimizer steps", "warmup_s": 10.0},
}
