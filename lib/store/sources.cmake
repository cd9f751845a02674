# store sources: the Xapian shim and its BM25 leaf (the only C++ in libsou),
# and the record file beside each shard.
target_sources(sou PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/record_file.c
  ${CMAKE_CURRENT_LIST_DIR}/xapian_shim.cc
  ${CMAKE_CURRENT_LIST_DIR}/bm25_source.cc
)
