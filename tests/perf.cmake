# Performance (docs/PERFORMANCE.md): a smoke run of scripts/bench on its quick variants.
# It checks that the script, bench/cx_ceilings and the three benchmark scenarios work
# and that the JSON report parses and holds every figure. It asserts no timing: figures
# come from `scripts/bench` run alone on a quiet machine.
# Not under sanitizers: their slowdown and shadow memory make the figures meaningless, and the
# sampler's per-process memory readings are not the ones the report is about.
if(CX_SANITIZE)
  return()
endif()
cx_integration_test(bench_smoke ${CMAKE_CURRENT_LIST_DIR}/integration/bench_smoke.sh)
set_tests_properties(bench_smoke PROPERTIES TIMEOUT 300 ENVIRONMENT
  "CX_BUILD_DIR=${CMAKE_BINARY_DIR};CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
