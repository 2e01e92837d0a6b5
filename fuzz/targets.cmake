# The fuzz targets and what each links, shared by fuzz/CMakeLists.txt (libFuzzer binaries, clang)
# and tests/fuzz_regression/ (plain replay binaries, any compiler), so the two never drift apart.
set(KTRIAGE_FUZZ_TARGETS
  log_analysis
  printk_ringbuffer
  flattened_dump
  rule_loader
  archive_walker
  frame_text
  btf_types)

set(KTRIAGE_FUZZ_LIBS_log_analysis ktriage_pipeline ktriage_output nlohmann_json::nlohmann_json)
set(KTRIAGE_FUZZ_LIBS_printk_ringbuffer ktriage_vmcore)
set(KTRIAGE_FUZZ_LIBS_flattened_dump ktriage_vmcore)
set(KTRIAGE_FUZZ_LIBS_rule_loader ktriage_rules ktriage_report ktriage_ingest)
set(KTRIAGE_FUZZ_LIBS_archive_walker ktriage_triage)
set(KTRIAGE_FUZZ_LIBS_btf_types ktriage_kernel_state)
set(KTRIAGE_FUZZ_LIBS_frame_text ktriage_report ktriage_symbolize ktriage_output nlohmann_json::nlohmann_json)

# Adds executable `name` from fuzz/<target>_fuzzer.cpp plus `extra` sources, with its libraries.
function(ktriage_add_fuzz_executable name target)
  add_executable(${name} ${PROJECT_SOURCE_DIR}/fuzz/${target}_fuzzer.cpp ${KTRIAGE_FUZZ_SOURCES_${target}} ${ARGN})
  target_link_libraries(${name} PRIVATE ${KTRIAGE_FUZZ_LIBS_${target}} ktriage_base ktriage_flags)
endfunction()
