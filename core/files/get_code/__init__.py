"""Get the code: each lab's training code as a standalone Python script and a Jupyter notebook."""
