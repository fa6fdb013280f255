# Behaviour model tests: KPI formulas, model units, determinism across
# shard counts and snapshots, and the calibration against the seeds' facts.
cx_unit_test(test_kpi ${CMAKE_CURRENT_LIST_DIR}/test_kpi.c)
target_link_libraries(test_kpi PRIVATE cxmodel)
cx_unit_test(test_kpi_cols ${CMAKE_CURRENT_LIST_DIR}/test_kpi_cols.c)
target_link_libraries(test_kpi_cols PRIVATE cxmodel)

foreach(t units determinism calibration organisation steady)
  cx_unit_test(test_model_${t} ${CMAKE_CURRENT_LIST_DIR}/test_model_${t}.c)
  target_link_libraries(test_model_${t} PRIVATE cxmodel)
endforeach()

# docs/MODEL.md's parameter table against the code.
cx_unit_test(test_model_docs ${CMAKE_CURRENT_LIST_DIR}/test_model_docs.c)
target_link_libraries(test_model_docs PRIVATE cxmodel)
target_compile_definitions(test_model_docs PRIVATE CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
