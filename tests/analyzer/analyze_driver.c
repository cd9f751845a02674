/* analyze_driver.c - test-only stand-alone front end of `sou-index analyze`
 * (the real CLI is indexer/main.c); used by the shell tests in this folder. */
#include "analyze_cmd.h"

int main(int argc, char **argv) { return sou_index_analyze_main(argc, argv); }
