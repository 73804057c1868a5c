/*
 * import.h - silvernode's import and export commands (import.c, export.c).
 */
#ifndef SILVER_IMPORT_H
#define SILVER_IMPORT_H

#include "cli.h"

/* silvernode import COLLECTION FILE.csv: every row a new record, all or none. */
int silver_cmd_import(silver_cli_opts *o);
/* silvernode export COLLECTION FILE.csv|FILE.xlsx: every live record as a table. */
int silver_cmd_export(silver_cli_opts *o);

#endif
