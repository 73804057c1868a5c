/*
 * import.h - silvernode's import command (import.c).
 */
#ifndef SILVER_IMPORT_H
#define SILVER_IMPORT_H

#include "cli.h"

/* silvernode import COLLECTION FILE.csv: every row a new record, all or none. */
int silver_cmd_import(silver_cli_opts *o);

#endif
