# One task runner for people, the README and CI.
.PHONY: setup setup-test demo test test-fast lint bench clean

setup:            ## install ffmpeg/espeak-ng (apt) and .venv with the package and model
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

demo: setup       ## generate the demo interview and publish it to public/
	.venv/bin/podcast demo

test: setup-test  ## the whole test suite, slow tests included (what CI runs)
	.venv/bin/python -m pytest --slow

test-fast: setup-test
	.venv/bin/python -m pytest

lint: setup-test
	.venv/bin/ruff check podcast tests benchmarks
	.venv/bin/ruff format --check podcast tests benchmarks
	.venv/bin/mypy

bench: setup      ## benchmarks (not tests): prints ratios against plain ffmpeg
	.venv/bin/python benchmarks/run.py

clean:
	rm -rf build public episodes/demo/recording.wav
