# Protocol codec unit tests and integration tests that start real processes.
cx_unit_test(test_proto test_proto.c)
target_link_libraries(test_proto PRIVATE cxproto cxmodel)
cx_unit_test(test_web_seats test_web_seats.c ${CMAKE_SOURCE_DIR}/web/cx_web_seats.c
             ${CMAKE_SOURCE_DIR}/web/cx_web_json.c)
target_include_directories(test_web_seats PRIVATE ${CMAKE_SOURCE_DIR}/web)
find_package(Threads REQUIRED)
target_link_libraries(test_web_seats PRIVATE cxconfig Threads::Threads)
# JSON (config/cx_json.c over Jansson) and the web's command body parser.
cx_unit_test(test_json test_json.c ${CMAKE_SOURCE_DIR}/web/cx_web_json.c)
target_include_directories(test_json PRIVATE ${CMAKE_SOURCE_DIR}/web)
target_link_libraries(test_json PRIVATE cxconfig)

set(CX_IT_ENV "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
foreach(t run_baseline determinism faults bad_input checkpoint checkpoint_trust dir_lock nonregular shipped live python fork keep_checkpoints run_out remote web web_classroom oracle
    pain_oracle web_assess)
  cx_integration_test(it_${t} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${t}.sh)
  set_tests_properties(it_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_IT_ENV}")
endforeach()

# The reference agents in Python (agents/python/) joining real runs.
foreach(t python_department python_persona)
  add_test(NAME it_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${t}.sh)
  set_tests_properties(it_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_IT_ENV}")
endforeach()
# The live page in headless Chromium: skipped (77) where Chromium cannot start.
add_test(NAME it_web_browser COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/web_browser.sh)
set_tests_properties(it_web_browser PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_IT_ENV}"
                     SKIP_RETURN_CODE 77)
add_test(NAME it_watch_terminal COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/watch_terminal.sh)
set_tests_properties(it_watch_terminal PROPERTIES TIMEOUT 120 ENVIRONMENT "${CX_IT_ENV}")
