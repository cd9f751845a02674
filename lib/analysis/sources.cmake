# analysis sources (owned by the analyzer work).
# The folding table is generated at build time from the ICU that sou links
# against (gen_fold_table.c), so it always matches the run-time ICU.
add_executable(sou-gen-fold-table ${CMAKE_CURRENT_SOURCE_DIR}/analysis/gen_fold_table.c)
target_link_libraries(sou-gen-fold-table PRIVATE PkgConfig::ICUI18N PkgConfig::ICUUC)
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/analysis/fold_table.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/analysis
  COMMAND sou-gen-fold-table ${CMAKE_CURRENT_BINARY_DIR}/analysis/fold_table.c
  DEPENDS sou-gen-fold-table
  COMMENT "Generating the NFKC_Casefold + Traditional->Simplified table from ICU")
target_sources(sou PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/analysis/analyzer.c
  ${CMAKE_CURRENT_BINARY_DIR}/analysis/fold_table.c)
target_include_directories(sou PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/analysis)
