# The two commands a newcomer needs (see README.md).
.PHONY: app test bench class
app:    ## set up and start the app
	scripts/run_app.sh
test:   ## set up and run all tests (core, pages, real browser)
	scripts/test.sh
bench:  ## set up and run the quick benchmark
	scripts/setup.sh requirements-dev.txt && .venv/bin/python -m bench --quick
class:  ## serve a class: REPLICAS Streamlit processes (default: one per core) behind HAProxy on PORT (default 8501); see docs/classroom.md
	scripts/setup.sh requirements.txt && .venv/bin/python deploy/serve_class.py $(if $(REPLICAS),--replicas $(REPLICAS)) $(if $(PORT),--port $(PORT))
