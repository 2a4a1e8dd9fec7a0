# The shared test doubles of tests/support, for the tests of plugins: a recording host table
# (recording_host.hpp), a plugin loader (plugin_library.hpp), a fixed telemetry source
# (sample_telemetry.hpp), snapshot comparisons (snapshot_equal.hpp), a temporary folder
# (scratch_dir.hpp) and SQLite files locked, of a later schema or with a row edited
# (sqlite_locked.hpp, sqlite_schema_version.hpp, sqlite_spoilt_copy.hpp), and test layers: one
# that holds nothing (nothing_layer.hpp) and the descriptor of one built into a test
# (static_layer.hpp). Include them as "support/<header>". Included by every folder whose
# tests use them; defined once.
include_guard(GLOBAL)

add_library(strata_test_support INTERFACE)
target_include_directories(strata_test_support INTERFACE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(strata_test_support INTERFACE strata_telemetry ${CMAKE_DL_LIBS})
# Where the build puts plugins, the directory the runtime searches by default.
target_compile_definitions(strata_test_support INTERFACE STRATA_PLUGIN_OUTPUT_DIR="${STRATA_PLUGIN_OUTPUT_DIR}")

# The doubles' own tests: the recording host keeps the runtime host's contract, the loader the
# loader's. One label only (catch_discover_tests cannot pass a list): they run with the exporters'.
add_executable(test_support_doubles ${CMAKE_CURRENT_LIST_DIR}/test_support_doubles.cpp)
target_link_libraries(test_support_doubles PRIVATE strata_test_support Catch2::Catch2WithMain Threads::Threads)
add_dependencies(test_support_doubles strata_log)
catch_discover_tests(test_support_doubles PROPERTIES LABELS "exporter")
