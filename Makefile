# Front door: `make train` and `make test` create the environment on first use.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# torch and torchvision are pinned as a pair that import together (see README, "Set-up").
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed

.PHONY: venv train test test-fast lint bench sample-data data-photos data-photos-large clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet $(TORCH_SPEC)
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

train: $(STAMP) ## the main job: a short CPU run of a small PRFN on the embedded photographs
	$(VENV)/bin/pmrf-train experiment=sample ckpt_path=null

test: $(STAMP) ## the whole suite (what CI runs)
	$(PYTHON) -m pytest -q

test-fast: $(STAMP) ## the local loop: everything but the tests marked slow
	$(PYTHON) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools

bench: $(STAMP)
	$(PYTHON) benchmarks/bench_model.py
	$(PYTHON) benchmarks/bench_data.py

sample-data: $(STAMP) ## rebuild the embedded photo set from Debian packages (apt-get download)
	$(PYTHON) tools/build_sample_set.py

data-photos: $(STAMP) ## the bigger training set for experiment=photos_small (data/photos/, ~50 MiB)
	$(PYTHON) tools/build_sample_set.py --set photos
	test -d data/photos/masks/val128 || $(VENV)/bin/pmrf-masks --out data/photos/masks/val128 --size 128 --per-bucket 20 --seed 0

data-photos-large: $(STAMP) ## 175 photographs of 17 Debian packages (data/photos_large/, ~210 MiB, ~2 minutes)
	$(PYTHON) tools/build_sample_set.py --set photos_large
	test -d data/photos_large/masks/val128 || $(VENV)/bin/pmrf-masks --out data/photos_large/masks/val128 --size 128 --per-bucket 20 --seed 0

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
