# Makefile — the two commands of tamis, and a few more. CMake does the real work.
#   make run    install deps, build, generate a sample, import, ingest, score, show tiers
#               and three users explained
#   make test   install deps, build (normal, ASan+UBSan, TSan, fuzz) and run every test
#   make build  build/tamis          make bench  run the benchmarks (not part of test)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DATA ?= ./tamis-data
SAMPLE ?= ./tamis-sample
FUZZ_SECONDS ?= 20

.PHONY: all deps build build-asan build-tsan build-fuzz run test test-unit test-asan test-tsan test-fuzz bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTAMIS_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

build-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAMIS_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target tamis

build-fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTAMIS_FUZZ=ON \
	  -DTAMIS_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

run: build
	@rm -rf $(DATA) $(SAMPLE)
	./build/tamis gen --users 20000 --events 400000 --days 120 --seed 42 --bad-lines 5 -o $(SAMPLE)
	./build/tamis --data $(DATA) import-contacts $(SAMPLE)/contacts.csv
	./build/tamis --data $(DATA) ingest $(SAMPLE)/events.csv
	./build/tamis --data $(DATA) stats
	./build/tamis --data $(DATA) score --as-of 2026-11-01T00:00:00Z
	./build/tamis --data $(DATA) tiers
	./build/tamis --data $(DATA) snapshot --as-of 2026-10-01T00:00:00Z
	./build/tamis --data $(DATA) snapshot --as-of 2026-11-01T00:00:00Z
	./build/tamis --data $(DATA) transitions --from 2026-10-01 --to 2026-11-01
	./build/tamis --data $(DATA) backtest --as-of 2026-10-15T00:00:00Z --horizon 14d --outcome reply
	./build/tamis --data $(DATA) segment create engaged_vn 'tier in ("daily_active", "high_interaction", "occasional") and country = "VN" and reply_30 > 0 and days_since(last_seen) <= 14d'
	./build/tamis --data $(DATA) segment show engaged_vn
	./build/tamis --data $(DATA) segment members engaged_vn --columns user,score,tier,best_channel,best_hour | head -6
	./build/tamis --data $(DATA) cooling --as-of 2026-11-01T00:00:00Z --limit 5
	./build/tamis --data $(DATA) rfm --as-of 2026-11-01T00:00:00Z
	./build/tamis --data $(DATA) cross tier country --max-groups 8
	@for u in $$(./build/tamis --data $(DATA) export --columns user,tier --tier daily_active 2>/dev/null | sed -n 2p | cut -d, -f1) \
	          $$(./build/tamis --data $(DATA) export --columns user,tier --tier silent 2>/dev/null | sed -n 2p | cut -d, -f1) \
	          $$(./build/tamis --data $(DATA) export --columns user,tier --tier unreachable 2>/dev/null | sed -n 2p | cut -d, -f1); do \
	  echo; echo "== tamis show $$u"; ./build/tamis --data $(DATA) show $$u | sed -n '1,/^features/p' | grep -v '^features'; \
	done
	@echo; echo "== the dashboard and the HTTP API on this sample (its clock stops at 2026-11-01):"; \
	echo "   KEY=\$$(./build/tamis --data $(DATA) apikey create --scope read); echo \$$KEY"; \
	echo "   ./build/tamis --data $(DATA) serve --as-of 2026-11-01T00:00:00Z &"; \
	echo "   then open http://127.0.0.1:8080/ and log in with the key, or:"; \
	echo "   curl -H \"Authorization: Bearer \$$KEY\" http://127.0.0.1:8080/v1/users/u0000001"

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# The end-to-end tests again with a ThreadSanitizer build of the binary.
test-tsan: build-tsan
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L e2e -j $(JOBS)

test-fuzz: build-fuzz
	cd build-fuzz && ctest --output-on-failure -L fuzz -j $(JOBS)

test: test-unit test-asan test-tsan test-fuzz

bench: build
	bash bench/ingest.sh
	bash bench/score.sh
	bash bench/review.sh
	bash bench/serve.sh
	bash bench/segments.sh
	bash bench/pg_export.sh
	bash bench/audiences.sh

clean:
	rm -rf build build-asan build-tsan build-fuzz
