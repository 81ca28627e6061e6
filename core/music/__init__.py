"""Music: MIDI in and out, the values codec, corpora, motifs, the scorecard and audio.

Here only what the pages, links and labs need without loading pretty_midi: a bundled style's label.
"""


def style_label(style: str) -> str:
    """A bundled music style's label on the page ("bach_chorales" -> "Bach chorales")."""
    return style.replace("_", " ").capitalize()
