# Inclusion — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-pg lint openapi contract bench build release

## Build, migrate an SQLite file under ./data, load the demo dataset, print an admin token, serve on :8080
## in development mode (`--dev`: the public development secret when INCLUSION_JWT_SECRET is not set).
run:
	cargo run --bin inclusion -- serve --dev --demo --print-token

## The whole suite (unit + black-box HTTP) on SQLite; with TEST_DATABASE_URL=postgres://… on PostgreSQL.
test:
	@if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		cargo test --workspace --no-fail-fast; \
	fi

## The same suite against the local PostgreSQL (one fresh database per test).
test-pg:
	TEST_DATABASE_URL=$(PG_URL) $(MAKE) test

## Formatting and clippy, warnings as errors.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

## The contract from outside: spectral + redocly on the document, schemathesis against a running
## server (SQLite; PostgreSQL too when it answers), generated TypeScript and Python clients.
contract:
	bash .ci/contract.sh

## Rewrite the committed OpenAPI document from the code (the server serves it compiled in:
## written to a new file first, so that a failed build never leaves it empty).
openapi:
	cargo run --quiet --bin inclusion -- openapi > openapi/openapi.json.new
	mv openapi/openapi.json.new openapi/openapi.json

build:
	cargo build --workspace

release:
	cargo build --release --bin inclusion

## Throughput, latency and memory on a realistic dataset (release build, wrk over loopback).
bench:
	bash bench/run.sh
