"""The memorisation meter beside each lab's samples (core.toolkit.memorise): how much of a sample is copied, and from
where.

One call per place: ``names(lab, names, key)`` under the Dinosaur lab's sampled names, ``text(lab, sample, key)``
under a Text lab sample, ``music(lab, key)`` beside the Music lab's composition. The index of the training data
is built once per corpus: shared by every session for a bundled text (read-only), kept in the session otherwise.
"""

from __future__ import annotations

import streamlit as st

from core.echo import literal
from core.music import motif
from core.music import music_score as ms
from core.toolkit import memorise as mz

EXPLAIN = (
    "A model that learned the patterns writes new {what} from short common pieces; one that memorised its training "
    "data copies long stretches of it."
)


@st.cache_resource(max_entries=4, show_spinner="Indexing the training text for the memorisation meter…")
def _shared_text_index(corpus_id: str, n_train: int, _text: str) -> mz.CharIndex:
    """A bundled text's index (the same for every session: the text never changes under one corpus id)."""
    return mz.text_index(_text[:n_train])


def _session_cached(key: str, corpus_key, build):
    slot = f"_{key}_memo_index"
    kept = st.session_state.get(slot)
    if kept is None or kept[0] != corpus_key:
        kept = st.session_state[slot] = (corpus_key, build())
    return kept[1]


def _meter(c: mz.Copy, what: str) -> None:
    st.progress(
        min(1.0, c.share),
        text=f"📋 Memorisation meter: {c.length} of {c.sample_length} {c.unit} copied ({c.share:.0%})",
    )
    if c.length:
        st.caption(f"{c.describe()} The stretch: “{literal(c.stretch, 200)}”. " + EXPLAIN.format(what=what))
    else:
        st.caption(c.describe())


def names(lab, sampled: list[str], key: str) -> None:
    """A table: each sampled name's longest stretch found in one name of the list, and which name."""
    t = lab.trainer
    if t is None or not sampled:
        return
    index = _session_cached(key, (lab.corpus_id, id(t.names)), lambda: mz.names_index(t.names))
    rows = []
    for n in sampled:
        c = mz.char_copy(index, n)
        rows.append(
            {
                "name": n or "(empty)",
                "longest copied stretch": f"{c.stretch} ({c.length} of {c.sample_length})" if c.length else "–",
                "from the name": "" if not c.length else f"{c.source[1:-1]} (letter {c.offset + 1})",
            }
        )
    st.markdown("**📋 Memorisation meter**: the longest stretch of each name found in one name of the training list")
    st.dataframe(rows, hide_index=True, key=f"{key}_memo_table")
    st.caption(EXPLAIN.format(what="names"))


def text(lab, sample: str, key: str) -> None:
    """The meter of one Text lab sample against the training part of the run's text."""
    run = getattr(lab, "run", None)
    if run is None or run.corpus is None or not sample:
        return
    corpus = run.corpus
    n_train = len(corpus.train_ids)
    if str(lab.corpus_id).startswith("bundled:"):
        index = _shared_text_index(str(lab.corpus_id), n_train, corpus.text)
    else:
        index = _session_cached("text", (lab.corpus_id, id(corpus)), lambda: mz.text_index(corpus.text[:n_train]))
    _meter(mz.char_copy(index, sample), "text")
    if index.searched_of and index.searched_of > len(index.text):
        st.caption(
            f"The meter searches the first {len(index.text):,} of the {index.searched_of:,} training characters (a "
            "bound on its memory)."
        )


def built_text_index(lab) -> mz.CharIndex | None:
    """The Text lab's index if the meter has already built it (for the hand-in; never builds one)."""
    run = getattr(lab, "run", None)
    if run is None or run.corpus is None:
        return None
    if str(lab.corpus_id).startswith("bundled:"):
        if lab.live_sample is None and getattr(lab, "sampled", None) is None:
            return None  # no meter was drawn yet: the shared index may not exist
        return _shared_text_index(str(lab.corpus_id), len(run.corpus.train_ids), run.corpus.text)
    kept = st.session_state.get("_text_memo_index")
    return kept[1] if kept is not None and kept[0] == (lab.corpus_id, id(run.corpus)) else None


def music(lab, key: str) -> None:
    """The meter of the last composition (its composed values) against the training pieces."""
    res = getattr(lab, "result", None)
    if res is None or lab.corpus is None:
        return
    ref, _ = lab.reference()
    if ref is not None:
        copies, piece_names = ref.copies, ref.names
    else:  # no scorecard (no notes in the pieces): an index of the values alone
        c = lab.corpus
        piece_names = [c.pieces[i].name for i in c.train_idx]
        copies = _session_cached(
            key, repr(lab.corpus_key), lambda: ms.CopyIndex([c.pieces[i].values for i in c.train_idx])
        )
    c = mz.music_copy(copies, piece_names, res.trained_values)
    st.progress(
        min(1.0, c.share), text=f"📋 Memorisation meter: {c.length} of {c.sample_length} values copied ({c.share:.0%})"
    )
    if c.length:
        st.caption(f"{c.describe()} The stretch: {motif.decode(c.stretch.split())}. " + EXPLAIN.format(what="music"))
    else:
        st.caption(c.describe())
