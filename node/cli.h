/*
 * cli.h - what the programs share: turning error codes into one message and
 * a documented exit code (docs/EXIT.md), and showing values and times.
 */
#ifndef SILVER_CLI_H
#define SILVER_CLI_H

#include <stdarg.h>
#include <stdio.h>

#include "silver_i18n.h"
#include "silver_store.h"

/* Exit codes: docs/EXIT.md.  Never renumber. */
enum silver_exit {
	SILVER_EXIT_OK = 0,
	SILVER_EXIT_INTERNAL = 1, /* unexpected failure, out of memory */
	SILVER_EXIT_USAGE = 2,    /* bad command line */
	SILVER_EXIT_INPUT = 3,    /* invalid value, field, CSV row or file */
	SILVER_EXIT_NOTFOUND = 4, /* no such record, node directory or file */
	SILVER_EXIT_REFUSED = 5,  /* verification failed: signature, chain, fork, format */
	SILVER_EXIT_DENIED = 6,   /* not authorised */
	SILVER_EXIT_STORE = 7,    /* the store cannot be opened, read or written; disk full */
	SILVER_EXIT_NET = 8,      /* network or peer failure */
	SILVER_EXIT_FINDINGS = 9, /* reserved */
};

int silver_cli_exit_code(int err);

/* The global options every program takes, and a command table in the manner
 * of git.c: silver_cli_main parses [--dir DIR] [--json] [--help] [--version]
 * COMMAND ARGS (options may follow the command too), runs the command and
 * returns its exit code. */
typedef struct silver_cli_opts {
	const char *dir; /* --dir, else $SILVER_DIR, else ./silver-data */
	int json;
	int argc;
	char **argv; /* the command's own arguments, global options removed */
} silver_cli_opts;

typedef struct silver_cli_command {
	const char *name;
	int (*run)(silver_cli_opts *o);
	const char *args; /* shown in help */
	const char *help; /* N_() */
} silver_cli_command;

/* usage prints the program's whole help (to stdout for --help, to stderr
 * when no command is given). */
int silver_cli_main(const char *prog, const silver_cli_command *commands, void (*usage)(FILE *f), int argc,
		    char **argv);

/* Open the node in dir, turning every refusal into one message; returns 0 or
 * an exit code. */
int silver_cli_open(const char *dir, unsigned flags, silver_store **s);
/* From here on, a damaged store met while open (SIGBUS or SIGSEGV on its
 * map, an LMDB assertion) ends the program with "the data store in DIR is
 * damaged ..." and SILVER_EXIT_STORE instead of a crash.  silver_cli_open
 * calls it; init calls it before creating a store. */
void silver_cli_guard_store(const char *dir);

extern const char *silver_cli_prog;

/* "prog: message" on stderr; returns -1 like git's error(). */
int silver_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write s with what a terminal or a log must not take as it is escaped:
 * bytes that are not UTF-8 as \xNN, line breaks and tabs as \n \r \t,
 * other control characters as \xNN or \uNNNN, line separators and
 * bidirectional controls as \uNNNN.  Everything a program prints on
 * standard error goes through it, so user data (a name, a CSV cell, a
 * peer's message) cannot forge a line or change the terminal. */
void silver_cli_put_escaped(FILE *f, const char *s);
/* A progress line for a long command, on a terminal only: begin, then call
 * silver_cli_progress_due often; when it returns non-zero (the command has
 * run a second, and a quarter second has passed since the last line) it is
 * the milliseconds since begin, and the caller prints the line with
 * silver_cli_progress_print.  end clears the line if one was shown. */
typedef struct silver_cli_progress {
	int on;
	uint64_t t0, shown; /* ms (monotonic): the start, the last line (0: none yet) */
} silver_cli_progress;
void silver_cli_progress_begin(silver_cli_progress *p);
uint64_t silver_cli_progress_due(silver_cli_progress *p);
/* The line itself: \r, the formatted text, spaces over a longer last line. */
void silver_cli_progress_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void silver_cli_progress_end(silver_cli_progress *p);

/* Where one of our programs is: $var when set; else, when this program runs
 * from the build tree's bin/ (SILVER_BUILD_BIN, only in builds that look
 * there), the one built beside it (written to buf, n bytes); else installed,
 * a path fixed when configuring.  So an installed program never runs a
 * build tree's programs. */
const char *silver_cli_program(const char *name, const char *var, const char *installed, char *buf, size_t n);
/* prefix (as it is), then the formatted message escaped, then a newline, on stderr. */
void silver_cli_vmessage(const char *prefix, const char *fmt, va_list ap);

/* A library's English reason in the user's language; a reason of the form
 * "message: keys" translates the message and keeps the keys.  Returns out
 * or a catalogue string. */
const char *silver_cli_reason(const char *reason, char *out, size_t n);

/* Report err (with why, if any) as one sentence and return its exit code. */
int silver_cli_fail(int err, const silver_why *why, const char *context);

/* A value as the user typed it, NUL-terminated, into buf (cleared first). */
void silver_cli_value(const silver_field *f, const silver_value *v, silver_buf *buf);

/* HLC -> "YYYY-MM-DD HH:MM:SS" in local time; out has room for 32. */
void silver_cli_time(uint64_t hlc, char out[32]);
/* HLC -> RFC 3339 UTC with milliseconds; out has room for 40. */
void silver_cli_time_utc(uint64_t hlc, char out[40]);

/* Display width of UTF-8 text (CJK counts two columns). */
int silver_cli_width(const char *s);
/* Print s padded with spaces to width columns. */
void silver_cli_pad(FILE *f, const char *s, int width);

#endif
