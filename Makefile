# Benchmarks (not part of the test suite). `make bench` runs every bench/bench_*.py on both backends and
# writes bench/results/<name>-<backend>.json; `make bench-<name>` runs one of them. PostgreSQL and Redis come
# from BENCH_DATABASE_URL and BENCH_REDIS_URL; the database is wiped (its name must contain "bench") and the
# Redis database flushed.

PYTHON ?= python
BENCH_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/remnastore_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/6
BENCHES := $(patsubst bench/bench_%.py,%,$(wildcard bench/bench_*.py))
RESULTS := bench/results

.PHONY: bench bench-postgres bench-sqlite $(addprefix bench-,$(BENCHES)) fuzz mutate mutate-notifications

bench: bench-postgres bench-sqlite

bench-postgres:
	@mkdir -p $(RESULTS)
	@for name in $(BENCHES); do \
		echo "== $$name on postgres+redis" >&2; \
		DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
			$(PYTHON) -m bench.bench_$$name > $(RESULTS)/$$name-postgres+redis.json || exit 1; \
	done

bench-sqlite:
	@mkdir -p $(RESULTS)
	@for name in $(BENCHES); do \
		echo "== $$name on sqlite+memory" >&2; \
		DATABASE_URL= REDIS_URL= $(PYTHON) -m bench.bench_$$name > $(RESULTS)/$$name-sqlite+memory.json || exit 1; \
	done

# One benchmark on both backends: make bench-broadcast, make bench-sync, ...
$(addprefix bench-,$(BENCHES)): bench-%:
	@mkdir -p $(RESULTS)
	@echo "== $* on postgres+redis" >&2
	@DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(PYTHON) -m bench.bench_$* > $(RESULTS)/$*-postgres+redis.json
	@echo "== $* on sqlite+memory" >&2
	@DATABASE_URL= REDIS_URL= $(PYTHON) -m bench.bench_$* > $(RESULTS)/$*-sqlite+memory.json

# `make fuzz`: the property-based tests with 5000 examples each instead of the 50 of the default "ci"
# profile (tests/conftest.py); needs TEST_DATABASE_URL/TEST_REDIS_URL like the rest of the suite.
fuzz:
	HYPOTHESIS_PROFILE=fuzz $(PYTHON) -m pytest -q -p no:cacheprovider --timeout=3600 tests/property
# Build the image with docker or podman and run `check`, `migrate`, `backup` and `restore` inside it against
# a PostgreSQL server (scripts/container_smoke.sh lists the options).
.PHONY: container-smoke
container-smoke:
	bash scripts/container_smoke.sh

# Mutation testing (docs/testing.md): mutmut plants small bugs in the modules that hold money and access
# rules, one module at a time, and runs the fast tests against each. CPU-heavy: niced, one worker.
# `make mutate MODULE=remnastore.panel.errors` mutates one module; the survivors: `.venv/bin/mutmut results`.
MUTMUT ?= .venv/bin/mutmut
MUTATE_MODULES := remnastore.panel.errors remnastore.domain.promos remnastore.infra.ratelimit \
	remnastore.bot.routers.admin.guard remnastore.services.promos remnastore.payments \
	remnastore.services.settlement remnastore.services.fulfilment remnastore.services.access_grant
MODULE ?= $(MUTATE_MODULES)

mutate:
	@for module in $(MODULE); do \
		echo "== mutating $$module" >&2; \
		nice -n 15 $(MUTMUT) run --max-children 1 "$$module.*" || exit 1; \
	done
	@$(MUTMUT) results

# Only a provider's notification path (its parse_notification and the helpers it calls), a few minutes
# each: `make mutate-notifications PROVIDER=yookassa`. Method mutants are named module.xǁClassǁmethod__mutmut_N,
# function mutants module.x_function__mutmut_N.
NOTIFY_yookassa := yookassa.xǁYooKassaProviderǁparse_notification yookassa.xǁYooKassaProviderǁ_sender_allowed \
	yookassa.xǁYooKassaProviderǁ_reject yookassa.xǁYooKassaProviderǁ_fetch yookassa.xǁYooKassaProviderǁ_payment_event \
	yookassa.xǁYooKassaProviderǁ_refund_event yookassa_wire.x_money_from_wire yookassa_wire.x_moment yookassa_wire.x_mapping yookassa_wire.x_int_or_none
NOTIFY_yoomoney := yoomoney.xǁYooMoneyProviderǁparse_notification yoomoney.xǁYooMoneyProviderǁ_fields \
	yoomoney.xǁYooMoneyProviderǁ_charged yoomoney.x_notification_hash yoomoney.x__decimal yoomoney.x__moment
NOTIFY_freekassa := freekassa.xǁFreeKassaProviderǁparse_notification freekassa.xǁFreeKassaProviderǁ_ip_allowed \
	freekassa.xǁFreeKassaProviderǁ_fields freekassa_wire.x_notification_signature
NOTIFY_platega := platega.xǁPlategaProviderǁparse_notification platega.xǁPlategaProviderǁ_event platega.xǁPlategaProviderǁ_transaction platega.x_pick
NOTIFY_cryptobot := cryptobot.xǁCryptoBotProviderǁparse_notification cryptobot.xǁCryptoBotProviderǁ_event
NOTIFY_heleket := heleket.xǁHeleketProviderǁparse_notification heleket.xǁHeleketProviderǁ_reject heleket.xǁHeleketProviderǁ_event \
	heleket.x_sign heleket.x_php_json heleket.x__compact heleket.x__money heleket.x__paid_amount heleket.x__telegram_user
NOTIFY_severpay := severpay.xǁSeverPayProviderǁparse_notification severpay.xǁSeverPayProviderǁ_payin severpay.xǁSeverPayProviderǁ_event \
	severpay.x_canonical severpay.x_signature
NOTIFY_tribute := tribute.xǁTributeProviderǁparse_notification tribute.xǁTributeProviderǁ_verify tribute.x__stable_key tribute.x__moment \
	tribute.x__required tribute.x__user tribute.x__money
PROVIDER ?= yookassa

mutate-notifications:
	nice -n 15 $(MUTMUT) run --max-children 1 \
		$(foreach name,$(NOTIFY_$(PROVIDER)),"remnastore.payments.$(name)__*")
	@$(MUTMUT) results
