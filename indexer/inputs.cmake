# indexer/inputs.cmake - sou_inputs: reading source files (charsets, text,
# Markdown, HTML, JSON Lines) and splitting documents into passages.
# Included from indexer/CMakeLists.txt.
add_library(sou_inputs STATIC
  ${CMAKE_CURRENT_LIST_DIR}/inputs/util.c
  ${CMAKE_CURRENT_LIST_DIR}/inputs/decode.c
  ${CMAKE_CURRENT_LIST_DIR}/inputs/html.c
  ${CMAKE_CURRENT_LIST_DIR}/inputs/textfmt.c
  ${CMAKE_CURRENT_LIST_DIR}/inputs/jsonl.c
  ${CMAKE_CURRENT_LIST_DIR}/inputs/input.c
  ${CMAKE_CURRENT_LIST_DIR}/passages/passage.c
)
target_include_directories(sou_inputs PUBLIC
  ${CMAKE_CURRENT_LIST_DIR}/inputs ${CMAKE_CURRENT_LIST_DIR}/passages)
target_link_libraries(sou_inputs PUBLIC sou PkgConfig::ICUI18N PkgConfig::ICUUC Threads::Threads)
