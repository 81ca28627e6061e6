"""Real browser: "Get the code" in the Text and Music labs. After one step of training, the .zip holds the script,
the notebook and the data they read; the script downloaded alone is the lab's program; hide=toolkit hides it all."""

from __future__ import annotations

import zipfile

import pytest

from .conftest import assert_no_exception, open_tab, shot, wait_idle

LABS = [
    ("text", "📜 Text", "text_rnn", "shakespeare.txt"),
    ("music", "🎵 Music", "music_rnn", "midi/"),
]


@pytest.mark.parametrize("path, heading, stem, data", LABS)
def test_get_the_code_of_a_keras_lab(page, app_url, tmp_path, path, heading, stem, data):
    page.goto(f"{app_url}/{path}")
    page.get_by_role("heading", name=heading).wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Step").first.click()
    wait_idle(page, 120_000)
    open_tab(page, "Files & hand-in")  # the script, the notebook and the .zip
    page.get_by_role("heading", name="Get the code").wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_role("heading", name="Get the code").scroll_into_view_if_needed()
    shot(page, f"get_code_{path}", full_page=False)
    assert_no_exception(page)

    with page.expect_download() as info:
        page.get_by_role("button", name="⬇ Script (.py)").click()
    assert info.value.suggested_filename == f"{stem}.py"
    script = tmp_path / f"{stem}.py"
    info.value.save_as(script)
    source = script.read_text()
    assert "import keras" in source and "from core" not in source and "import core" not in source

    with page.expect_download() as info:
        page.get_by_role("button", name="⬇ Everything (.zip)").click()
    path_zip = tmp_path / "code.zip"
    info.value.save_as(path_zip)
    with zipfile.ZipFile(path_zip) as z:
        names = z.namelist()
    assert {f"{stem}.py", f"{stem}.ipynb", "README.txt"} <= set(names)
    assert any(n == data or n.startswith(data) for n in names), names  # the data the program reads


@pytest.mark.parametrize("path, heading, stem, data", LABS)
def test_hide_toolkit_hides_the_code(page, app_url, path, heading, stem, data):
    page.goto(f"{app_url}/{path}?hide=toolkit")
    page.get_by_role("heading", name=heading).wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Step").first.click()
    wait_idle(page, 120_000)
    page.get_by_role("button", name="▶ Start").wait_for()
    assert page.get_by_role("heading", name="Get the code").count() == 0
    assert page.get_by_role("button", name="⬇ Everything (.zip)").count() == 0
    assert_no_exception(page)
