"""Build the bundled MIDI corpus in data/midi/<style>/*.mid from music21's corpus.

Two styles are written, both from scores that ship inside the music21 PyPI
package (music21==10.5.1; its bundled corpus needs no network):

* ``bach_chorales/`` - the first N (default 100) four-part chorale
  harmonisations by J. S. Bach in ``music21/corpus/bach/bwv*.mxl``, in sorted
  file-name order.  Named after the source file: ``bwv269.mxl`` ->
  ``bwv269.mid``, ``bwv1.6.mxl`` -> ``bwv1_6.mid``.
* ``irish_folk/`` - the first N (default 200) tunes of O'Neill's "Music of
  Ireland" (1850 tunes, 1903) in ``music21/corpus/oneills1850/*.abc``.  Each ABC
  file holds many tunes; each tune (numbered by its "B: O'Neill's <n>" line)
  becomes its own file ``oneills_<number>_<title-slug>.mid``.

Each piece is parsed with music21, same-pitch ties are merged, and every note of every
part is written with pretty_midi into ONE instrument (program 0, Acoustic
Grand Piano, never a drum track) at velocity 80.  Pieces that fail to parse
or have no notes are skipped; the next piece in order takes their place, so
the counts stay fixed.  Every written file is re-read with
``pretty_midi.PrettyMIDI`` and must contain notes.

Simplifications: a fixed tempo per style (chorales 80 BPM, folk tunes
120 BPM, quarter-note beats) instead of the score's own markings; repeats are
not expanded; grace notes (zero duration) are dropped; dynamics are ignored
(constant velocity); all parts are merged into a single piano track.

The output is deterministic: same package versions -> same files.

Usage::

    python scripts/build_midi.py [--out data/midi] [--bach 100] [--folk 200]
"""

import argparse
import os
import re
import shutil
import sys

import pretty_midi
from music21 import chord, converter, corpus, note

PROGRAM = 0  # General MIDI Acoustic Grand Piano
VELOCITY = 80
BACH_BPM = 80.0
FOLK_BPM = 120.0
MIN_NOTES = 8  # skip fragments with almost no music


def slugify(text, maxlen=40):
    """'The Enchanted Valley' -> 'the_enchanted_valley' (a-z0-9_ only)."""
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return text[:maxlen].rstrip("_") or "untitled"


def _pitches(el):
    """MIDI pitch numbers of a music21 Note or Chord (empty for anything else)."""
    if isinstance(el, chord.Chord):
        return [p.midi for p in el.pitches]
    if isinstance(el, note.Note):
        return [el.pitch.midi]
    return []


def score_to_midi(score, bpm):
    """Convert a music21 score to a single-instrument PrettyMIDI object.

    Tied notes are merged by hand: a note whose tie starts/continues is
    extended by the next note of the SAME pitch in the same part that begins
    exactly where it ends.  (music21's stripTies() also merges ABC "ties"
    between different pitches, which O'Neill's transcriptions use as slurs,
    and would drop notes.)  Returns None if there are fewer than MIN_NOTES
    notes."""
    sec_per_quarter = 60.0 / bpm
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    inst = pretty_midi.Instrument(program=PROGRAM, is_drum=False, name="Piano")
    parts = list(score.parts) or [score]
    for part in parts:
        open_ties = {}  # pitch -> pretty_midi.Note still waiting for its tie end
        for el in part.flatten().notes:
            ql = float(el.duration.quarterLength)
            if ql <= 0:  # grace notes
                continue
            start = round(float(el.offset) * sec_per_quarter, 6)
            end = round(start + ql * sec_per_quarter, 6)
            tied_on = el.tie is not None and el.tie.type in ("start", "continue")
            for midi in _pitches(el):
                if not 0 <= midi <= 127:
                    continue
                prev = open_ties.pop(midi, None)
                if prev is not None and abs(prev.end - start) < 1e-6:
                    prev.end = end  # continuation of a tied note
                    current = prev
                else:
                    current = pretty_midi.Note(velocity=VELOCITY, pitch=int(midi), start=start, end=end)
                    inst.notes.append(current)
                if tied_on:
                    open_ties[midi] = current
    # parts that double each other (e.g. instruments doubling a voice) give
    # the same pitch at the same time twice: keep one, the longest
    unique = {}
    for n in inst.notes:
        key = (n.pitch, n.start)
        if key not in unique or n.end > unique[key].end:
            unique[key] = n
    inst.notes = sorted(unique.values(), key=lambda n: (n.start, n.pitch, n.end))
    if len(inst.notes) < MIN_NOTES:
        return None
    pm.instruments.append(inst)
    return pm


def write_checked(pm, path):
    """Write a MIDI file and check that pretty_midi reads it back with notes."""
    pm.write(path)
    back = pretty_midi.PrettyMIDI(path)
    n = sum(len(i.notes) for i in back.instruments if not i.is_drum)
    if n == 0:
        os.remove(path)
        return False
    return True


def build_bach(out_dir, count):
    """Write the first `count` usable Bach chorales (sorted by file name)."""
    paths = sorted(
        p for p in corpus.getComposer("bach") if re.match(r"^bwv\d+(\.\d+)?\.mxl$", os.path.basename(str(p)))
    )
    written = 0
    for path in paths:
        if written >= count:
            break
        stem = os.path.basename(str(path))[: -len(".mxl")]
        try:
            pm = score_to_midi(converter.parse(str(path)), BACH_BPM)
        except Exception as exc:  # skip anything music21 cannot read
            print("skip %s: %s" % (stem, exc), file=sys.stderr)
            continue
        if pm is None:
            print("skip %s: no notes" % stem, file=sys.stderr)
            continue
        if write_checked(pm, os.path.join(out_dir, stem.replace(".", "_") + ".mid")):
            written += 1
    return written


def split_abc_tunes(text):
    """Split an ABC file into (number, title, tune_text) tuples by 'X:' lines.

    The tune number is O'Neill's own number from the "B: O'Neill's 123" line
    (the X: numbers are not always reliable); X: is the fallback."""
    tunes = []
    for block in re.split(r"\n(?=X:)", "\n" + text.replace("\r\n", "\n")):
        block = block.strip()
        m = re.match(r"X:\s*(\d+)", block)
        if not m:
            continue
        b = re.search(r"^B:.*?O'Neill's\s*(\d+)", block, re.MULTILINE)
        number = int(b.group(1)) if b else int(m.group(1))
        t = re.search(r"^T:\s*(.*)$", block, re.MULTILINE)
        tunes.append((number, t.group(1).strip() if t else "", block + "\n"))
    return tunes


def build_folk(out_dir, count):
    """Write the first `count` usable tunes of O'Neill's 1850 (by tune number)."""
    paths = sorted(str(p) for p in corpus.getComposer("oneills1850", fileExtensions=("abc",)))
    # collect tunes from all files; the same number may occur in two files
    # (alternative transcriptions): keep the first in sorted file order
    tunes = {}
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, title, block in split_abc_tunes(fh.read()):
                tunes.setdefault(number, (title, block))
    written = 0
    for number in sorted(tunes):
        if written >= count:
            break
        title, block = tunes[number]
        try:
            score = converter.parse(block, format="abc")
            pm = score_to_midi(score, FOLK_BPM)
        except Exception as exc:
            print("skip O'Neill's %d: %s" % (number, exc), file=sys.stderr)
            continue
        if pm is None:
            print("skip O'Neill's %d: no notes" % number, file=sys.stderr)
            continue
        name = "oneills_%04d_%s.mid" % (number, slugify(title))
        if write_checked(pm, os.path.join(out_dir, name)):
            written += 1
    return written


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--out", default=os.path.join(repo, "data", "midi"), help="output folder (default: data/midi in the repo)"
    )
    ap.add_argument("--bach", type=int, default=100, help="number of Bach chorales")
    ap.add_argument("--folk", type=int, default=200, help="number of O'Neill's tunes")
    args = ap.parse_args()

    for style, builder, count in (("bach_chorales", build_bach, args.bach), ("irish_folk", build_folk, args.folk)):
        out_dir = os.path.join(args.out, style)
        shutil.rmtree(out_dir, ignore_errors=True)  # rebuild from scratch
        os.makedirs(out_dir)
        n = builder(out_dir, count)
        size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
        print("%s: %d files, %d bytes" % (style, n, size))
        if n < count:
            print("warning: only %d of %d %s pieces usable" % (n, count, style), file=sys.stderr)


if __name__ == "__main__":
    main()
