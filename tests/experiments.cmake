# Experiments (issue 7): sweep, compare, collect, sensitivity, calibrate, optimise.
# Unit tests: value ranges and seeds, statistics and hashes, the results
# database. Integration tests start real cxsim processes (and, for
# exp_slurm, a single-node Slurm installed and started by scripts/slurm-local).
foreach(t grid stats db sens calib roadmap)
  cx_unit_test(test_exp_${t} ${CMAKE_CURRENT_LIST_DIR}/test_exp_${t}.c)
  target_link_libraries(test_exp_${t} PRIVATE cxexp)
endforeach()

# Reality checks (cxsim check): aggregates, evaluation, the check-file loader.
cx_unit_test(test_check ${CMAKE_CURRENT_LIST_DIR}/test_check.c)
target_link_libraries(test_check PRIVATE cxexp)
target_compile_definitions(test_check PRIVATE CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

set(CX_EXP_IT_ENV "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
foreach(t sweep kill compare sensitivity calibrate optimise check)
  cx_integration_test(it_exp_${t} ${CMAKE_CURRENT_LIST_DIR}/integration/exp_${t}.sh)
  set_tests_properties(it_exp_${t} PROPERTIES TIMEOUT 900 ENVIRONMENT "${CX_EXP_IT_ENV}")
endforeach()
# The shipped reality checks hold (optimised build only: under the sanitizers
# their several hundred runs would take most of CI's time and test nothing the
# experiment tests above do not).
if(NOT CX_SANITIZE)
  cx_integration_test(it_checks_shipped ${CMAKE_CURRENT_LIST_DIR}/integration/checks_shipped.sh)
  # A hang guard: several hundred runs, minutes alone, far longer on a loaded machine.
  # COST: the longest test starts first, so that with -j it is not the suite's tail.
  set_tests_properties(it_checks_shipped PROPERTIES TIMEOUT 1800 COST 1000 ENVIRONMENT "${CX_EXP_IT_ENV}")
endif()
# The Slurm tests install packages and start daemons: they run one at a time (a
# lock of their own: other tests run beside them), and report
# themselves skipped (77, with the reason) where no registry is reachable.
# exp_slurm: sweeps as array jobs; exp_slurm_lost: cancelled and failed tasks named,
# resubmission, task grouping; exp_slurm_run: cxsim run --backend slurm, a lost
# process named, resume; exp_slurm_exp: compare, sensitivity, calibrate, optimise,
# --target-ci through Slurm.
# In the optimised suite only: what they add to the other experiment tests is
# the Slurm orchestration (shell, sbatch, srun), which the sanitizers do not
# see; the C code they run is the same the sanitizer suite covers.
if(NOT CX_SANITIZE)
  foreach(t slurm slurm_lost slurm_run slurm_exp)
    cx_integration_test(it_exp_${t} ${CMAKE_CURRENT_LIST_DIR}/integration/exp_${t}.sh)
    set_tests_properties(it_exp_${t} PROPERTIES TIMEOUT 600 RESOURCE_LOCK cxsim_slurm COST 500
      SKIP_RETURN_CODE 77 ENVIRONMENT "${CX_EXP_IT_ENV}")
  endforeach()
endif()

# Reports (cxsim report): chart primitives, and the HTML report of a run and
# of a comparison and of a sweep, parsed as XML and checked against the
# result files.
cx_unit_test(test_svg ${CMAKE_CURRENT_LIST_DIR}/test_svg.c)
target_link_libraries(test_svg PRIVATE cxreport)
cx_integration_test(it_report ${CMAKE_CURRENT_LIST_DIR}/integration/report.sh)
set_tests_properties(it_report PROPERTIES TIMEOUT 120 ENVIRONMENT "${CX_EXP_IT_ENV}")
cx_integration_test(it_report_sweep ${CMAKE_CURRENT_LIST_DIR}/integration/report_sweep.sh)
set_tests_properties(it_report_sweep PROPERTIES TIMEOUT 120 ENVIRONMENT "${CX_EXP_IT_ENV}")
cx_integration_test(it_report_experiments
  ${CMAKE_CURRENT_LIST_DIR}/integration/report_experiments.sh)
set_tests_properties(it_report_experiments PROPERTIES TIMEOUT 120 ENVIRONMENT "${CX_EXP_IT_ENV}")
