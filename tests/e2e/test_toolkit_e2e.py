"""Real browser: the teacher's toolkit on the Dinosaur lab. Baselines on the loss chart, the nats / bits switch,
the memorisation meter beside sampled names, and the hand-in download (unzipped and read back)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from core.labs.dino_lab import DATA
from core.labs.text_lab import LIVE_SAMPLE_CHARS
from core.models.dino import load_names
from core.toolkit import baselines as bl

from .conftest import assert_no_exception, open_tab, shot, wait_idle, wait_refreshes

# the loss chart's texts: plotly draws annotations and axis titles as SVG <text>, which get_by_text can't match
CHART_TEXTS = """
() => {
  const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .find(c => [...c.querySelectorAll('.g-ytitle text')]
      .some(t => t.textContent.startsWith('loss (') || t.textContent === 'perplexity'));
  if (!chart) return null;
  return {
    annotations: [...chart.querySelectorAll('.annotation-text')].map(t => t.textContent),
    ytitle: chart.querySelector('.g-ytitle text').textContent,
  };
}
"""


def chart_texts(page) -> dict:
    page.wait_for_function(f"({CHART_TEXTS})() !== null")
    return page.evaluate(CHART_TEXTS)


def test_toolkit_on_the_dinosaur_lab(page, app_url, tmp_path):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=60_000)
    wait_refreshes(page, "Names trained on", 2)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)

    # baselines: the held-out names' cross-entropies, as computed from the bundled list, drawn as labelled lines
    names = load_names(DATA)
    want = bl.for_dino(names, {c: i for i, c in enumerate(sorted(set("\n".join(names) + "\n")))})
    texts = chart_texts(page)
    assert texts["ytitle"] == "loss (nats per name)"
    for b in want.lines:
        assert f"{b.name} {b.value:.2f}" in texts["annotations"], texts
    page.get_by_text("every 10th name").first.wait_for()
    page.get_by_text("add-one (Laplace) smoothing").first.wait_for()
    shot(page, "toolkit_dino_baselines_nats", full_page=False)

    # the switch: bits per name on the axis and the lines divided by ln 2
    page.get_by_role("radiogroup", name="Loss unit").get_by_text("bits per name", exact=True).click()
    page.wait_for_function(
        f"(() => {{ const t = ({CHART_TEXTS})(); return t && t.ytitle === 'loss (bits per name)'; }})()"
    )
    texts = chart_texts(page)
    for b in want.lines:
        assert f"{b.name} {b.value / 0.6931471805599453:.2f}" in texts["annotations"], texts
    page.get_by_text("Bits = nats ÷ ln 2").wait_for()
    shot(page, "toolkit_dino_baselines_bits", full_page=False)

    # the memorisation meter beside the sampled names
    page.get_by_role("button", name="Sample names").click()
    page.get_by_text("are new (not in the training list)").first.wait_for()
    meter = page.get_by_text("Memorisation meter")
    meter.first.wait_for()
    meter.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    assert page.get_by_text("the longest stretch of each name found in one name of the training list").count() == 1
    shot(page, "toolkit_dino_memorisation", full_page=False)
    assert_no_exception(page)

    # the hand-in: one zip, every file read back
    open_tab(page, "Files & hand-in")
    button = page.get_by_role("button", name="⬇ Download the hand-in (.zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    path = tmp_path / "handin.zip"
    info.value.save_as(path)
    assert re.fullmatch(r"handin-dino-step\d+\.zip", info.value.suggested_filename)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    code = {"code/dinosaur_rnn.py", "code/dinosaur_rnn.ipynb", "code/dinos.txt"}  # the run's code from scratch
    assert set(files) == {"settings.json", "loss_history.csv", "samples.txt", "charts.html", "README.txt"} | code
    s = json.loads(files["settings.json"])
    assert s["config"]["type"] == "DinoConfig" and s["config"]["n_a"] == 50 and s["step"] > 0
    assert "/dinosaurs?" in s.get("link", ""), s.get("link")
    rows = list(csv.DictReader(io.StringIO(files["loss_history.csv"].decode())))
    assert len(rows) >= 2 and all(float(r["train"]) > 0 for r in rows)
    assert int(rows[-1]["step"]) <= s["step"]
    html = files["charts.html"].decode()
    assert "plotly.js" in html and not re.search(r"<script[^>]+src=", html)
    assert "bigram" in html and "smoothed loss (course)" in html
    shot(page, "toolkit_dino_handin", full_page=False)
    assert_no_exception(page)

    # the charts open offline from the file itself (this browser has no network besides the app)
    html_path = tmp_path / "charts.html"
    html_path.write_bytes(files["charts.html"])
    viewer = page.context.new_page()
    viewer.goto(html_path.as_uri())
    viewer.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for()
    assert viewer.locator(".annotation-text", has_text="bigram").count() == 1
    shot(viewer, "toolkit_dino_handin_charts", full_page=False)
    viewer.close()


def _download(page, tmp_path, name: str) -> tuple[str, dict[str, bytes]]:
    """Click the hand-in download; (the file's name, its files)."""
    open_tab(page, "Files & hand-in")
    button = page.get_by_role("button", name="⬇ Download the hand-in (.zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    path = tmp_path / name
    info.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        return info.value.suggested_filename, {n: z.read(n) for n in z.namelist()}


def _handin_step(name: str, files: dict[str, bytes]) -> int:
    """The step of a hand-in, checked to be the same in its name and in every file that states it."""
    step = json.loads(files["settings.json"])["step"]
    assert name == f"handin-dino-step{step}.zip"
    readme = int(re.search(r"step ([\d,]+)\.", files["README.txt"].decode()).group(1).replace(",", ""))
    header = files["samples.txt"].decode().splitlines()[0]
    assert readme == step and header.endswith(f"· step {step:,}"), (readme, header, step)
    rows = list(csv.DictReader(io.StringIO(files["loss_history.csv"].decode())))
    assert max(int(r["step"]) for r in rows) <= step
    return step


_SAID_ABOVE = """
([n]) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some(e => {
  const m = e.innerText.match(/as it was at step ([\\d,]+)/);
  return m && parseInt(m[1].replace(/,/g, '')) > n;
})
"""


def _take(page, above: int) -> int:
    """Press the snapshot button; the step the page then says the hand-in holds (more than ``above``)."""
    open_tab(page, "Files & hand-in")
    page.get_by_role("button", name="📸 Take the hand-in at the current step").click()
    page.wait_for_function(_SAID_ABOVE, arg=[above], timeout=60_000)
    caption = page.get_by_text("Training goes on: this hand-in is the run as it was at step").first.inner_text()
    return int(re.search(r"at step ([\d,]+)", caption).group(1).replace(",", ""))


def test_handin_while_the_dinosaur_lab_trains(page, app_url, tmp_path):
    """While training, the student takes a snapshot; its downloads are that step, named by it, however long after
    the snapshot they come; a new snapshot is a later step."""
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 2)
    open_tab(page, "Files & hand-in")  # the hand-in is in its tab under the training area
    page.get_by_text("Training goes on: take a snapshot").wait_for()
    said = _take(page, -1)
    first = _handin_step(*_download(page, tmp_path, "a.zip"))
    assert first == said
    wait_refreshes(page, "Names trained on", 2)  # training moves on; the hand-in stays the snapshot the page said
    assert _handin_step(*_download(page, tmp_path, "b.zip")) == first
    said = _take(page, first)
    assert _handin_step(*_download(page, tmp_path, "c.zip")) == said
    page.get_by_text("Training goes on: this hand-in").first.scroll_into_view_if_needed()
    shot(page, "toolkit_dino_handin_while_training", full_page=False)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    assert_no_exception(page)


def test_toolkit_on_the_music_lab(page, app_url, tmp_path):
    import pretty_midi

    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_idle(page, timeout=60_000)
    page.wait_for_function(
        f"(() => {{ const t = ({CHART_TEXTS})(); return t && t.annotations.length >= 3 && !t.annotations.some(a => "
        f"a.startsWith('No training')); }})()"
    )
    page.get_by_text("Dashed and dotted lines").first.scroll_into_view_if_needed()
    shot(page, "toolkit_music_baselines", full_page=False)
    texts = chart_texts(page)
    assert texts["ytitle"] == "loss (nats per value)"
    got = {t.split(" ")[0] for t in texts["annotations"]}
    assert {"uniform", "unigram", "bigram"} <= got, texts
    page.get_by_text("held-out validation pieces").first.wait_for()
    page.get_by_role("radiogroup", name="Loss unit").get_by_text(
        "perplexity", exact=True
    ).click()  # per-value losses also read as perplexity
    page.wait_for_function(f"(() => {{ const t = ({CHART_TEXTS})(); return t && t.ytitle === 'perplexity'; }})()")
    shot(page, "toolkit_music_baselines_perplexity", full_page=False)

    page.get_by_role("button", name="🎼 Compose").click()
    page.get_by_text("Did it learn music? The scorecard").wait_for(timeout=60_000)
    wait_idle(page)
    meter = page.get_by_text("📋 Memorisation meter:")
    meter.first.wait_for()
    assert re.search(r"Memorisation meter: \d+ of 100 values copied", meter.first.inner_text())
    meter.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, "toolkit_music_memorisation", full_page=False)

    open_tab(page, "Files & hand-in")
    button = page.get_by_role("button", name="⬇ Download the hand-in (.zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    path = tmp_path / "handin.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    assert {n for n in files if not n.startswith("code/")} == {  # code/: the lab's code, once it writes it
        "settings.json",
        "loss_history.csv",
        "samples.txt",
        "charts.html",
        "README.txt",
        "composition.mid",
    }
    s = json.loads(files["settings.json"])
    assert s["config"]["type"] == "RNNConfig" and "/music?" in s.get("link", "")
    pm = pretty_midi.PrettyMIDI(io.BytesIO(files["composition.mid"]))
    values_line = files["samples.txt"].decode().split("Composed, as values:\n")[1].splitlines()[0].split()
    assert len(values_line) == 100
    from core.music import music_codec as mc

    want = sorted(
        (round(a, 3), round(b, 3), p)
        for a, b, p in mc.values_to_notes(values_line, s["page_settings"].get("music_tempo", 120))
    )
    got = sorted((round(n.start, 3), round(n.end, 3), n.pitch) for i in pm.instruments for n in i.notes)
    assert got == want
    assert "Composition" in files["charts.html"].decode()
    assert_no_exception(page)


def test_toolkit_on_the_text_lab(page, app_url):
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for()
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_idle(page, timeout=60_000)
    page.wait_for_function(
        f"(() => {{ const t = ({CHART_TEXTS})(); return t && t.annotations.some(a => a.startsWith('trigram')) && "
        f"!t.annotations.some(a => a.startsWith('No training')); }})()",
        timeout=60_000,
    )
    texts = chart_texts(page)
    assert texts["ytitle"] == "loss (nats per character)"
    got = {t.split(" ")[0]: float(t.split(" ")[1]) for t in texts["annotations"] if t.split(" ")[0] in bl.COLORS}
    assert got["uniform"] > got["unigram"] > got["bigram"] > got["trigram"] > 1.5, got
    page.get_by_text("the validation part (the last 10% of the text)").first.wait_for()
    # the live sample (the untrained model's, at step 0) has its meter under the chart
    meter = page.get_by_text("📋 Memorisation meter:")
    meter.first.wait_for(timeout=60_000)
    assert re.search(rf"Memorisation meter: \d+ of {LIVE_SAMPLE_CHARS} characters copied", meter.first.inner_text())
    page.get_by_text("from the training text, line").first.wait_for()
    page.get_by_role("radiogroup", name="Loss unit").get_by_text("bits per character", exact=True).click()
    page.wait_for_function(
        f"(() => {{ const t = ({CHART_TEXTS})(); return t && t.ytitle === 'loss (bits per character)'; }})()"
    )
    page.get_by_role("radiogroup", name="Loss unit").evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, "toolkit_text_chart_bits", full_page=False)
    meter.first.evaluate("e => e.scrollIntoView({block: 'center'})")
    shot(page, "toolkit_text_bits_meter", full_page=False)
    assert_no_exception(page)
