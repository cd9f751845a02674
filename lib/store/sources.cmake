# store sources: the Xapian shim and its BM25 leaf, the only C++ in libsou.
target_sources(sou PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/xapian_shim.cc
  ${CMAKE_CURRENT_LIST_DIR}/bm25_source.cc
)
