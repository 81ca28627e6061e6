"""Model files: the model zip (export and checked import) and the bundled starting points."""
