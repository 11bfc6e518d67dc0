/*
 * manpage.h -- rowcast's man pages, written by the binary itself.
 *
 * `rowcast --man 8` writes rowcast(8) from the table of command-line options
 * that main.c also parses and prints for --help; `rowcast --man 5` writes
 * rowcast.conf(5) from the configuration key tables (config.c,
 * rc_config_print_man()). The build runs the freshly built binary to make
 * both pages, so the documentation cannot drift from the code.
 *
 * The rc_roff_* helpers escape text for roff with the man macros: a
 * backslash becomes \e, a '.' or '\'' that starts a line is guarded with \&,
 * and in literal text (what a user types: options, key names, values,
 * examples) '-' is the minus \- and quotes are the ASCII ones.
 */
#ifndef RC_MANPAGE_H
#define RC_MANPAGE_H

#include <stdio.h>

/* One command-line option: the getopt table, --help and rowcast(8) are all
 * made from an array of these ({NULL} ended). */
struct rc_cli_option {
	const char *name;   /* long name without "--" */
	int key;	    /* short letter, or > 255 for a long-only option */
	const char *arg;    /* argument placeholder ("FILE"), NULL = none */
	const char *help;   /* one short line for --help */
	const char *detail; /* more for the man page, or NULL */
};

/* One subcommand ("rowcast check -c FILE"): --help, the SYNOPSIS and the
 * COMMANDS section of rowcast(8) are made from an array of these ({NULL}
 * ended). */
struct rc_cli_command {
	const char *name;   /* the word after "rowcast" */
	const char *args;   /* its arguments as typed ("-c FILE") */
	const char *help;   /* one short line for --help */
	const char *detail; /* more for the man page, or NULL */
};

/* Long options have no short letter past this value. */
#define RC_OPT_LONG_ONLY 256

/*
 * Escaping modes of rc_roff_*: RC_ROFF_PROSE is running text (hyphens stay
 * hyphens, except a '-' that starts a word, an option such as -c);
 * RC_ROFF_LITERAL is what a user types (every '-' is the minus \-, quotes
 * and ^ ~ are the ASCII characters).
 */
#define RC_ROFF_PROSE	0
#define RC_ROFF_LITERAL 1

/*
 * Write text escaped for the middle of a line (no line-start guard;
 * newlines become spaces).
 */
void rc_roff_inline(FILE *out, int mode, const char *text);

/*
 * Write text as whole input lines: each newline in text starts a new line,
 * every line is guarded against a leading '.' or '\'' (and an empty line in
 * a literal block becomes "\&"), and the last line is ended.
 */
void rc_roff_lines(FILE *out, int mode, const char *text);

/*
 * Write roff that is already escaped (requests and text lines), breaking
 * the long text lines of filled paragraphs at blanks so that input lines
 * stay within 78 bytes where a blank allows it (lines between .nf and .fi,
 * or .EX and .EE, are written as they are).
 */
void rc_roff_raw(FILE *out, const char *roff);

/*
 * The .TH line: title (written in upper case), section, the date
 * (SOURCE_DATE_EPOCH when set, for reproducible builds, else today, UTC), the
 * version, and the manual's name.
 */
void rc_roff_th(FILE *out, const char *title, int section, const char *manual);

/*
 * Write rowcast(8) to out: synopsis, description, the commands of cmds, the
 * options of opts, signals, exit status, environment, files, see also. 0,
 * or -1 when out of memory (nothing written).
 */
int rc_man_rowcast(FILE *out, const struct rc_cli_command *cmds,
		   const struct rc_cli_option *opts);

#endif
