# The two commands a newcomer needs (see README.md).
.PHONY: app test bench
app:    ## set up and start the app
	scripts/run_app.sh
test:   ## set up and run all tests (core, pages, real browser)
	scripts/test.sh
bench:  ## set up and run the quick benchmark
	scripts/setup.sh requirements-dev.txt && .venv/bin/python -m bench --quick
