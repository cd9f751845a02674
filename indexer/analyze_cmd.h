/* analyze_cmd.h - `sou-index analyze`: show how sou analyzes a text.
 *
 *   sou-index analyze [--no-stem] [--no-t2s] [--no-bigrams] [--no-words]
 *                     [--identity] [--] [TEXT...]
 *
 * The TEXT arguments are joined with single spaces; with none, all of
 * standard input is read (NUL bytes and invalid UTF-8 included). Prints one
 * JSON object per term on its own line:
 *   {"term":"usb","pos":0,"start":0,"end":9,"kind":"word"}
 * start/end are byte offsets into that input. --identity prints the
 * analyzer identity string instead. */
#ifndef SOU_ANALYZE_CMD_H
#define SOU_ANALYZE_CMD_H

/* argv[0] is the subcommand name ("analyze") and is ignored. Returns the
 * process exit status: 0 ok, 1 runtime error, 2 usage error. */
int sou_index_analyze_main(int argc, char **argv);

#endif
