"""The glossary (core/glossary.py, shown by ui/glossary.py): every word of it that the app's text uses has a short
explanation (at most three sentences), and every page part that uses one shows it as a tooltip."""

from __future__ import annotations

import ast
import re

import pytest

from core.glossary import SPELLINGS, TERMS, explain, found_in
from tests.support import ROOT

# words a student meets without an explanation unless the glossary has one (matched as whole words)
JARGON = ("nats", "perplexity", "entropy", "Laplace", "gradient norm", "Pearson", "sid")
# files that use a glossary word without a tooltip, and why that is right
EXPLAINED = {
    "ui/explain.py": "draws assets/explain/units.md, which explains nats, bits, perplexity and entropy itself",
    "pages/home.py": "names perplexity and entropy as what a lab teaches; the lab explains them where they appear",
    "ui/toolkit/race_view.py": "its chart's summary says nats below the lab's loss chart, whose caption explains them",
}


def _visible_strings(path) -> list[str]:
    """The string constants of a Python file that can reach the screen: not docstrings, not single-word keys."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs and " " in n.value.strip()
    ]


def _app_texts() -> dict[str, str]:
    """path -> the text it can show: ui/, pages/ and core/toolkit/ strings (the toolkit's captions, e.g. the
    baselines'), assets/explain and lessons Markdown."""
    texts = {}
    for path in [*ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("core/toolkit/*.py")]:
        texts[str(path.relative_to(ROOT))] = "\n".join(_visible_strings(path))
    for path in [*ROOT.glob("assets/explain/*.md"), *ROOT.glob("lessons/*.md")]:
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return texts


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s])


@pytest.mark.parametrize("term", list(TERMS))
def test_each_explanation_is_at_most_three_sentences(term):
    text = explain(term)
    assert text and 1 <= _sentences(text) <= 3, (term, _sentences(text))
    assert set(SPELLINGS) == set(TERMS)


def test_every_jargon_word_the_app_shows_has_an_explanation():
    texts = _app_texts()
    used = set()
    for word in JARGON:
        pattern = re.compile(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", re.IGNORECASE)
        where = [p for p, t in texts.items() if pattern.search(t)]
        if where:
            used.add(word)
            assert found_in(word), f"{word!r} appears in {where} without a glossary entry"
            assert explain(found_in(word)[0])
    assert used, "the scan found none of the words: is it reading the app?"
    shown = {term for t in texts.values() for term in found_in(t)}
    assert shown == set(TERMS), f"glossary entries no page uses: {set(TERMS) - shown}"


def test_every_page_part_using_a_glossary_word_shows_its_tooltip():
    for path in [*ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py")]:
        name = str(path.relative_to(ROOT))
        if name in EXPLAINED or name == "ui/glossary.py":
            continue
        terms = {t for s in _visible_strings(path) for t in found_in(s)}
        if terms:
            assert "glossary." in path.read_text(encoding="utf-8"), f"{name} says {sorted(terms)} without a tooltip"


def test_found_in_reads_whole_words_only():
    assert found_in("cross-entropy in nats") == ["nats"]
    assert found_in("the nations considered") == []
    assert found_in("add-one (Laplace) smoothing; Pearson r; the gradient's norm") == [
        "Laplace smoothing",
        "gradient norm",
        "Pearson r",
    ]
    with pytest.raises(KeyError, match="the glossary has"):
        explain("logit")
