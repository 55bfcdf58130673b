# The two commands: `make dev` runs Runway, `make test` runs everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

node_modules: package.json package-lock.json
	npm ci --prefer-offline --no-audit --no-fund
	@touch node_modules

.PHONY: help
help:
	@echo "make dev   - Temporal dev server (UI http://localhost:8233) + Runway worker + API, sandbox when no credentials"
	@echo "make test  - install, provision Temporal, typecheck, lint, format check, the whole test suite"
	@echo "npm run check - check a real runway.yaml against GitLab, Argo CD, Slack, Temporal, registries"

.PHONY: temporal
# Finds or builds the Temporal CLI into ~/.cache/runway/temporal-<version>/ (shared by every clone).
temporal:
	@bash scripts/ensure-temporal.sh >/dev/null

.PHONY: dev
# dev.sh installs npm dependencies itself, while the Temporal dev server starts (a fresh clone's first start).
dev:
	@RUNWAY_DEV_START_MS="$$(date +%s%3N)" bash scripts/dev.sh

.PHONY: test
test:
	npm ci --no-audit --no-fund
	bash scripts/ensure-temporal.sh
	npm run typecheck
	npm run lint
	npm run format:check
	npm run schema:check
	npx vitest run

.PHONY: bench
bench: node_modules temporal
	npm run bench
