"""core.files.get_code.dino: the Dinosaur lab's exported program runs on its own (numpy only) and learns exactly as
the app's DinoTrainer does with the same settings: the same losses (to 1e-5) and the same sampled names; the trained
program loads the .npz without pickle, gives the app's probabilities and trains on as the app would."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.files.get_code import dino as code
from core.labs.dino_lab import DinoLab, bundled_names
from core.models.dino import DinoConfig, clean_names
from core.models.sampling import first_step_probs

ROOT = Path(__file__).resolve().parents[3]
RUFF = ROOT / ".venv" / "bin" / "ruff"
TOL = 1e-5


def lab_for(config: DinoConfig, names=None, corpus_id="bundled") -> DinoLab:
    lab = DinoLab()
    lab.configure(corpus_id, list(names or bundled_names()), config)
    return lab


def unpack(data: bytes, where: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(where)
        return {n: z.read(n) for n in z.namelist()}


def run_script(where: Path, script: str) -> str:
    """Runs ``script`` in ``where`` with this interpreter; returns its standard output."""
    done = subprocess.run(
        [sys.executable, script], cwd=where, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin"}
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def losses_csv(where: Path) -> np.ndarray:
    """(n, 3): step, the name's loss, the smoothed loss."""
    return np.loadtxt(where / "losses.csv", delimiter=",", skiprows=1, ndmin=2)


def train_like_the_app(lab: DinoLab, n: int) -> None:
    """n names in uneven chunks, as live slices train them (the last name of a chunk takes the traced path)."""
    done = 0
    for k in (1, 7, 3, 50, 11, 10**6):
        k = min(k, n - done)
        if k <= 0:
            break
        lab.trainer.train_steps(k)
        done += k


def printed_batches(out: str) -> list[tuple[int, list[str]]]:
    """The (iteration, names) the script printed while training."""
    batches, lines = [], out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Iteration "):
            it = int(line.split(",")[0].split()[1].replace(",", ""))
            batches.append((it, [x.strip() for x in lines[i + 1 : i + 8]]))
    return batches


def final_names(out: str, how_many: int) -> list[str]:
    return [line.rsplit(" - ", 1)[0] for line in out.splitlines()[-how_many:]]


CASES = {
    "defaults": DinoConfig(iterations=40, sample_every=20),
    "changed": DinoConfig(n_a=13, seed=7, learning_rate=0.03, clip_value=1.0, iterations=45, sample_every=15),
    "no clip": DinoConfig(n_a=9, seed=3, learning_rate=0.02, clip_value=None, iterations=30, sample_every=30),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_learns_as_the_app_does(case, tmp_path):
    config = CASES[case]
    lab = lab_for(config)
    lab.sampling = code.Sampling(how_many=6, temperature=0.7, seed=5)
    program = lab.get_code(trained=False)
    files = unpack(program.zip(), tmp_path)
    assert set(files) == {"dinosaur_rnn.py", "dinosaur_rnn.ipynb", "dinos.txt", "README.txt"}
    out = run_script(tmp_path, "dinosaur_rnn.py")

    train_like_the_app(lab, config.iterations)
    t = lab.trainer
    assert t.step == config.iterations
    got = losses_csv(tmp_path)
    np.testing.assert_array_equal(got[:, 0], t.history.train.steps)
    np.testing.assert_allclose(got[:, 1], t.history.train.values["loss"], rtol=0, atol=TOL)
    np.testing.assert_allclose(got[:, 2], t.history.train.values["smooth"], rtol=0, atol=TOL)
    assert printed_batches(out) == t.sample_batches  # the names sampled while training, from the same generator
    lab.sample(6, 0.7, 5)
    assert final_names(out, 6) == [n or "(empty)" for n, _ in lab.sampled]  # "Sample names" with the same settings


def test_a_different_seed_gives_different_losses(tmp_path):
    """The comparison above can fail: the script's losses are those of its own seed, not of any seed."""
    lab = lab_for(DinoConfig(iterations=20, sample_every=20, seed=1))
    unpack(lab.get_code(trained=False).zip(), tmp_path)
    run_script(tmp_path, "dinosaur_rnn.py")
    other = lab_for(DinoConfig(iterations=20, sample_every=20, seed=2))
    other.trainer.train_steps(20)
    assert np.abs(losses_csv(tmp_path)[:, 1] - other.trainer.history.train.values["loss"]).max() > 1e-3


@pytest.mark.parametrize("trained", [False, True])
@pytest.mark.parametrize("clip", [5.0, None])
def test_the_script_is_clean_and_holds_only_the_chosen_settings(tmp_path, trained, clip):
    lab = lab_for(DinoConfig(iterations=100, clip_value=clip))
    lab.trainer.train_steps(3)
    script = lab.get_code(trained=trained).script()
    path = tmp_path / "dinosaur_rnn.py"
    path.write_text(script)
    lint = subprocess.run(
        [str(RUFF), "check", "--config", str(ROOT / "pyproject.toml"), "--no-cache", str(path)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr  # F401: no unused import; E, W: style
    tree = ast.parse(script)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert imported == ({"json", "numpy"} if trained else {"numpy"})
    first = next(i for i, n in enumerate(tree.body) if not isinstance(n, (ast.Expr, ast.Import, ast.ImportFrom)))
    assert all(isinstance(n, (ast.Expr, ast.Import, ast.ImportFrom)) for n in tree.body[:first])  # imports on top
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    course = {"softmax", "rnn_step_forward", "rnn_forward", "rnn_step_backward", "rnn_backward", "update_parameters"}
    assert course | {"optimize", "sample", "smooth"} <= defined
    assert ("clip" in defined) == (clip is not None)
    assert ("clip_value" in script) == (clip is not None)  # no setting, no call, no function for clipping off
    assert ("np.clip" in script) == (clip is not None)
    assert ("initialize_parameters" in defined) == (not trained)
    assert ("weights_path" in script) == trained
    assert "if False" not in script and "if True" not in script


def test_settings_come_first_and_say_what_was_chosen():
    config = DinoConfig(n_a=33, learning_rate=0.003, clip_value=2.5, iterations=1234, seed=42, sample_every=250)
    lab = lab_for(config)
    lab.sample(3, 0.45, 9)
    program = lab.get_code(trained=False)
    settings = {}
    exec(program.blocks[0].code, {}, settings)
    assert settings == {
        "corpus_path": "dinos.txt",
        "n_a": 33,
        "learning_rate": 0.003,
        "clip_value": 2.5,
        "num_iterations": 1234,
        "seed": 42,
        "sample_every": 250,
        "dino_names": 7,
        "temperature": 0.45,
        "how_many": 3,
        "sample_seed": 9,
    }
    nb = program.notebook()
    assert '"parameters"' in nb and "n_a = 33" in nb
    assert all(b.text.strip() for b in program.blocks)  # every block is explained


def test_an_uploaded_list_is_shipped_and_read_back_as_the_app_read_it(tmp_path):
    raw = "Pikachu\n\n  Bulbasaur \nMr. Mime\n\x01 Eevee \x02\nCharmander\nSquirtle\nJigglypuff\nMeowth\nPsyduck\n"
    names = clean_names(raw)
    lab = lab_for(DinoConfig(n_a=8, iterations=12, sample_every=6), names, corpus_id="upload:x")
    program = lab.get_code(trained=False)
    files = unpack(program.zip(), tmp_path)
    assert "names.txt" in files and 'corpus_path = "names.txt"' in program.script()
    assert clean_names(files["names.txt"].decode()) == names
    run_script(tmp_path, "dinosaur_rnn.py")
    lab.trainer.train_steps(12)
    np.testing.assert_allclose(losses_csv(tmp_path)[:, 1], lab.trainer.history.train.values["loss"], atol=TOL)


def test_the_weights_are_plain_arrays_and_give_the_apps_probabilities():
    lab = lab_for(DinoConfig(n_a=20, iterations=500, seed=4))
    assert lab.code_weights() is None  # nothing trained yet
    with pytest.raises(ValueError):
        lab.get_code(trained=True)
    train_like_the_app(lab, 120)
    name, data = lab.code_weights()
    assert name == code.WEIGHTS_NAME
    w = np.load(io.BytesIO(data), allow_pickle=False)  # no object arrays: nothing pickled
    t = lab.trainer
    for k in ("Wax", "Waa", "Wya", "b", "by"):
        np.testing.assert_array_equal(w[k], t.parameters[k])
    assert [str(c) for c in w["chars"]] == t.chars and int(w["iteration"]) == 120
    # the exported forward step on the loaded weights, against the app's sampler, after the prime "tyr"
    program = lab.get_code(trained=True)
    ns: dict = {}
    for block in program.blocks:
        if "def softmax" in block.code or "def rnn_step_forward" in block.code:
            exec(block.code, ns)
    params = {k: w[k] for k in ("Wax", "Waa", "Wya", "b", "by")}
    prime = [t.char_to_ix[c] for c in "tyr"]
    a, x = np.zeros((20, 1)), np.zeros((t.vocab_size, 1))  # the zero vector first, as the app's sampler
    for ix in prime:
        a, _ = ns["rnn_step_forward"](params, a, x)
        x = np.zeros((t.vocab_size, 1))
        x[ix] = 1
    _, y = ns["rnn_step_forward"](params, a, x)
    app = first_step_probs(t.token_model(), prime=prime, first_input=None)
    assert np.abs(y.ravel() - app).max() <= TOL
    assert np.abs(y.ravel() - first_step_probs(t.token_model(), prime=prime[:2])).max() > 10 * TOL  # prime matters


@pytest.mark.parametrize("clip", [5.0, None])
def test_the_trained_program_trains_on_as_the_app_would(tmp_path, clip):
    lab = lab_for(DinoConfig(n_a=16, iterations=10**6, seed=6, sample_every=40, clip_value=clip))
    train_like_the_app(lab, 75)
    lab.sample(4, 1.3, 2)
    lab.retune(lab.trainer, replace(lab.trainer.config, iterations=75 + 50))  # the student's iteration budget
    program = lab.get_code(trained=True)
    files = unpack(program.zip(lab.code_weights()), tmp_path)
    assert set(files) == {
        "dinosaur_rnn_trained.py",
        "dinosaur_rnn_trained.ipynb",
        "dinos.txt",
        code.WEIGHTS_NAME,
        "README.txt",
    }
    assert code.WEIGHTS_NAME in files["README.txt"].decode()
    out = run_script(tmp_path, "dinosaur_rnn_trained.py")

    train_like_the_app(lab, 50)  # the app goes on from where the download was taken
    t = lab.trainer
    got = losses_csv(tmp_path)
    np.testing.assert_array_equal(got[:, 0], np.arange(76, 126))
    np.testing.assert_allclose(got[:, 1], t.history.train.values["loss"][75:], rtol=0, atol=TOL)
    np.testing.assert_allclose(got[:, 2], t.history.train.values["smooth"][75:], rtol=0, atol=TOL)
    assert printed_batches(out) == [b for b in t.sample_batches if b[0] > 75]  # the generator's state came along
    lab.sample(4, 1.3, 2)
    assert final_names(out, 4) == [n or "(empty)" for n, _ in lab.sampled]


def test_a_used_up_budget_says_so_and_still_samples(tmp_path):
    lab = lab_for(DinoConfig(n_a=8, iterations=30, seed=1))
    lab.trainer.train_steps(30)
    lab.sample(3, 0.0, 0)  # temperature 0: always the most likely letter
    unpack(lab.get_code(trained=True).zip(lab.code_weights()), tmp_path)
    out = run_script(tmp_path, "dinosaur_rnn_trained.py")
    assert "raise num_iterations" in out
    assert final_names(out, 3) == [n or "(empty)" for n, _ in lab.sampled]
    assert len(set(final_names(out, 3))) == 1  # greedy: the same name every time
