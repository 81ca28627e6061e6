"""The labs as the load and soak tests see them: each lab's page, the training counter it shows, its unit and its
warm-up."""

from __future__ import annotations

# Per lab: its page (url path, also st.navigation's page name), the address's settings every session opens it with,
# the counter on the page (a st.metric), its unit, and how long to let every session get going before measuring (the
# Text lab builds its model first). The settings lift the run's own limits, so that a session trains through a whole
# phase: alone on a core, a Dinosaur session reaches the default 30,000 names within a minute, and a Music session
# stops by itself at its default 2,000 steps or at its best validation.
LABS = {
    "dinosaurs": {
        "title": "Dinosaur",
        "path": "/dinosaurs",
        "query": "iterations=500000",
        "counter": "Names trained on",
        "unit": "names",
        "warmup_s": 5.0,
    },
    "text": {
        "title": "Text",
        "path": "/text",
        "query": "",
        "counter": "Step",
        "unit": "optimizer steps",
        "warmup_s": 10.0,
    },
    "music": {
        "title": "Music",
        "path": "/music",
        "query": "max_steps=100000&stop_best=0",
        "counter": "Steps",
        "unit": "optimizer steps",
        "warmup_s": 10.0,
    },
}


def address(lab: str) -> str:
    """The lab's page with the settings every session opens it with ("/dinosaurs?iterations=500000")."""
    q = LABS[lab]["query"]
    return LABS[lab]["path"] + (f"?{q}" if q else "")
