"""Every chart on a trained lab page comes with its name and a summary, every audio player is named, and the live
status line says the step while training (ui.chart_text, ui.live.status_region)."""

from core.echo import literal
from tests.support.apptest import button, open_page, tiny_music, tiny_text


def charts_with_text(at) -> list[str]:
    """The names of the page's charts; fails when a chart has no name or no summary caption naming it."""
    captions = [c.value for c in at.caption]
    names = []
    for chart in at.get("plotly_chart"):
        name = chart.proto.alt
        assert name, f"chart {chart.key} has no accessible name"
        said = [c for c in captions if c.startswith(f"**{literal(name, 200)}.** ")]
        assert said and len(said[0]) > len(name) + 10, f"chart {name!r} has no summary"
        names.append(name)
    return names


def status(at) -> str:
    return next(m.value for m in at.markdown if 'role="status"' in m.value)


def test_dinosaur_charts_are_named_and_summarised_and_progress_is_said():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    assert status(at).endswith("></div>")  # nothing said before training
    button(at, "▶ Start").click()
    at.run()
    assert "Training: iteration " in status(at) and "nats per name" in status(at)
    button(at, "■ Stop").click()
    at.run()
    at.button(key="dino_sample_btn").click()
    at.run()
    names = charts_with_text(at)
    for name in ("Loss chart", "Temperature chart", "Inspector: one step's probabilities", "Inspector heatmap"):
        assert name in names, names
    loss = next(c.value for c in at.caption if c.value.startswith("**Loss chart.**"))
    assert "at iteration" in loss
    assert any(e.label == "Show the numbers" for e in at.expander)


def test_music_charts_and_players_are_named():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.number_input(key="music_max_steps").set_value(10)
    at.run()
    button(at, "Step").click()
    at.run()
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    names = charts_with_text(at)
    for name in ("Loss chart", "Piano roll of the composition", "Piano roll of the corpus piece"):
        assert name in names, names
    alts = [a.proto.alt for a in at.get("audio")]
    assert alts and all(alts), alts
    assert any(a.startswith("Composition, ") and a.endswith(" s") for a in alts), alts


def test_text_loss_chart_is_named_and_summarised():
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    assert not at.exception
    assert "Loss chart" in charts_with_text(at)
