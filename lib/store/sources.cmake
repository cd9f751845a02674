# store sources (owned by the shim work): the Xapian shim and passage records.
target_sources(sou PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/xapian_shim.cc
  ${CMAKE_CURRENT_LIST_DIR}/../core/record.c
)
