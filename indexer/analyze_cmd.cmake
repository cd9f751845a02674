# `sou-index analyze` (owned by the analyzer work). The indexer's CLI
# (indexer/main.c) links sou_analyze_cmd and calls sou_index_analyze_main().
# Included from indexer/CMakeLists.txt and tests/analyzer/: defined once.
if(NOT TARGET sou_analyze_cmd)
  add_library(sou_analyze_cmd STATIC ${CMAKE_CURRENT_LIST_DIR}/analyze_cmd.c)
  target_include_directories(sou_analyze_cmd PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(sou_analyze_cmd PUBLIC sou)
endif()
