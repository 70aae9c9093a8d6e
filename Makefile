# Carnet: `make run` serves it on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast demo lint format bench bench-growth bench-mail i18n browser mailserver clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/carnet migrate
	$(BIN)/carnet serve

demo: $(STAMP)
	$(BIN)/carnet migrate
	$(BIN)/carnet demo

# Debian's Chromium drives the browser tests; Playwright's own download cannot work offline.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Debian's dovecot-imapd: the mail capture tests read a real IMAP mailbox (tests/mailserver.py
# starts its own throwaway instance; no system service is used).
mailserver:
	@command -v dovecot >/dev/null || test -x /usr/sbin/dovecot || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null; }

test: $(STAMP) browser mailserver
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-growth: $(STAMP)
	$(BIN)/python -m bench.growth

bench-mail: $(STAMP)
	$(BIN)/python -m bench.mail

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 \
	  --no-location --sort-output --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete \
	  --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
