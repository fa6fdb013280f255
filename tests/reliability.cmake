# Faults and hostile input (docs/RELIABILITY.md): fault detection times, garbage at the
# sockets of a running run, the protocol fuzz target replaying its corpus, output
# failures, a 64-shard load run.

# The control socket and run keys, without a run.
cx_unit_test(test_control test_control.c)
target_link_libraries(test_control PRIVATE cxruntime)

# A hostile peer that sends junk to a running run's sockets (tests/integration/garbage.sh).
add_executable(cx_garbage ${CMAKE_CURRENT_LIST_DIR}/cx_garbage.c)
target_link_libraries(cx_garbage PRIVATE cxproto PkgConfig::ZMQ)

# A scripted peer of the coordinator: wrong-version HELLO, malformed DEPT_DONE
# from a member of the roster (tests/integration/handshake.sh).
add_executable(cx_peer ${CMAKE_CURRENT_LIST_DIR}/cx_peer.c)
target_link_libraries(cx_peer PRIVATE cxruntime)

set(CX_REL_ENV "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR};CX_GARBAGE=$<TARGET_FILE:cx_garbage>;CX_PEER=$<TARGET_FILE:cx_peer>")
foreach(t fault_detection garbage output_failures load maxmsgsize listeners handshake forged_batch status_stuck
          web_conflicts join_missing coordinator_hung key_mismatch unreachable_dept
          leftovers)
  cx_integration_test(it_${t} ${CMAKE_CURRENT_LIST_DIR}/integration/${t}.sh)
  set_tests_properties(it_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_REL_ENV}")
endforeach()
# A filesystem filling up mid-run: needs mount (root), reported as skipped (77) elsewhere.
cx_integration_test(it_output_disk_full ${CMAKE_CURRENT_LIST_DIR}/integration/output_failures.sh
  disk-full)
set_tests_properties(it_output_disk_full PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CX_REL_ENV}")
# The load test starts 71 processes on a 2-core machine, and the detection test measures
# times against bounds: each alone, not next to other runs.
set_tests_properties(it_load it_fault_detection PROPERTIES RUN_SERIAL TRUE)
# Skipped (77) where something listens on the 127.0.1.1 port it needs unused.
set_tests_properties(it_unreachable_dept PROPERTIES SKIP_RETURN_CODE 77)
# cxsim-web beyond loopback, in a private network namespace: skipped (77) where forbidden.
cx_integration_test(it_web_token ${CMAKE_CURRENT_LIST_DIR}/integration/web_token.sh)
set_tests_properties(it_web_token PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CX_REL_ENV}")
cx_integration_test(it_web_assess_token ${CMAKE_CURRENT_LIST_DIR}/integration/web_assess_token.sh)
set_tests_properties(it_web_assess_token PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CX_REL_ENV}")

# Slow HTTP clients against cxsim-web on 127.0.0.1-3 (answers within 2 s: alone);
# skipped (77) where 127.0.0.2 cannot be bound.
cx_integration_test(it_web_slow ${CMAKE_CURRENT_LIST_DIR}/integration/web_slow.sh)
set_tests_properties(it_web_slow PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
  ENVIRONMENT "${CX_REL_ENV}")

# One run across three network namespaces ("hosts"), processes started by hand with a run
# key: skipped (77) without root.
cx_integration_test(it_three_hosts ${CMAKE_CURRENT_LIST_DIR}/integration/three_hosts.sh)
set_tests_properties(it_three_hosts PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
  ENVIRONMENT "${CX_REL_ENV}")

# The protocol fuzz target. Without CX_FUZZ, its main() replays the committed corpus (seeds
# from real encoded messages, and every crash ever found) on each ctest run.
add_executable(fuzz_proto_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_proto.c)
target_link_libraries(fuzz_proto_replay PRIVATE cxruntime)
target_compile_definitions(fuzz_proto_replay PRIVATE CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME fuzz_proto_replay
         COMMAND fuzz_proto_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus_proto)
set_tests_properties(fuzz_proto_replay PROPERTIES TIMEOUT 600) # a hang guard: about 55 s under valgrind

# The web command body fuzz target (Jansson under cx_web_cmd_parse): the committed corpus
# replayed with every prefix of each file on each ctest run.
add_executable(fuzz_web_cmd_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_web_cmd.c
               ${CMAKE_SOURCE_DIR}/web/cx_web_json.c)
target_include_directories(fuzz_web_cmd_replay PRIVATE ${CMAKE_SOURCE_DIR}/web)
target_link_libraries(fuzz_web_cmd_replay PRIVATE cxconfig)
add_test(NAME fuzz_web_cmd_replay
         COMMAND fuzz_web_cmd_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus_web)
set_tests_properties(fuzz_web_cmd_replay PROPERTIES TIMEOUT 300)

if(CX_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CX_FUZZ needs clang (configure with -DCMAKE_C_COMPILER=clang)")
  endif()
  add_executable(fuzz_proto ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_proto.c)
  target_compile_definitions(fuzz_proto PRIVATE CX_LIBFUZZER=1 CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_compile_options(fuzz_proto PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_proto PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_proto PRIVATE cxruntime)
  add_executable(fuzz_web_cmd ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_web_cmd.c
                 ${CMAKE_SOURCE_DIR}/web/cx_web_json.c)
  target_include_directories(fuzz_web_cmd PRIVATE ${CMAKE_SOURCE_DIR}/web)
  target_compile_definitions(fuzz_web_cmd PRIVATE CX_LIBFUZZER=1)
  target_compile_options(fuzz_web_cmd PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_web_cmd PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_web_cmd PRIVATE cxconfig)
  # Coverage feedback from the decoder and the model's unpacking code it feeds.
  target_compile_options(cxproto PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  target_compile_options(cxmodel PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
endif()
