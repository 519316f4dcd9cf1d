# GovLake: the two commands are `make up` and `make test` (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
GL := infra/govlake.sh

.PHONY: help setup up down status test unit sample clean
help:            ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
setup:           ## install the three environments and fetch the pinned Java artefacts (idempotent)
	@$(GL) setup
up:              ## bring the platform up on the embedded default with the sample province
	@$(GL) up
down:            ## stop every service of the local instance
	@$(GL) down
status:          ## what runs, where, and where its log is
	@$(GL) status
test:            ## unit tests, then integration tests against the real services (starts and stops them)
	@$(GL) test
unit:            ## unit tests only (fast)
	@$(GL) unit
clean:           ## stop everything and delete all local state under .govlake/ (downloads cache is kept)
	@$(GL) down || true; $(GL) down-test || true; rm -rf .govlake
