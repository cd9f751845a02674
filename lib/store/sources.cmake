# store sources: the Xapian shim, the only C++ in libsou.
target_sources(sou PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/xapian_shim.cc
)
