/*
 * commands.h - the one command table of silvernode and silvernode-net.
 *
 * Each line is SILVER_LOCAL(NAME, FUNCTION, ARGS, HELP) for a command that
 * silvernode runs itself, or SILVER_NET(NAME, FUNCTION, ARGS, HELP) for one
 * that lives in silvernode-net (the only program linking libzmq).  A program
 * defines both macros before including this file: silvernode turns every line
 * into an entry (a network command's function execs silvernode-net),
 * silvernode-net turns only the SILVER_NET lines into entries.  The help, the
 * man page's list (docs/man) and the bash completion (`silvernode --commands`)
 * all come from here.
 */
#ifndef SILVER_LOCAL
#error "define SILVER_LOCAL and SILVER_NET before including commands.h"
#endif

SILVER_LOCAL("init", cmd_init, "--township CODE [--name NAME] [--admin KEY]",
	     N_("create this node: its key and an empty store, pinning the county admin key"))
SILVER_LOCAL("id", cmd_id, "", N_("show this node's public key and township"))
SILVER_LOCAL("add", cmd_add, "COLLECTION field=value...", N_("add a record; prints its id"))
SILVER_LOCAL("set", cmd_set, "ID field=value...", N_("change fields of a record (field= clears one)"))
SILVER_LOCAL("delete", cmd_delete, "ID", N_("delete a record (its history is kept)"))
SILVER_LOCAL("show", cmd_show, "ID", N_("show a record"))
SILVER_LOCAL("list", cmd_list, "COLLECTION [field=value...] [--township T] [--all]",
	     N_("list records, optionally filtered (by field values, by the township that created them)"))
SILVER_LOCAL("transfer", cmd_transfer, "RETIREE-ID --to TOWNSHIP",
	     N_("move a retiree to another township: a new record there, the old one closed (at the hub)"))
SILVER_LOCAL("history", cmd_history, "ID", N_("every change to a record: who, when, old and new values"))
SILVER_LOCAL("import", silver_cmd_import, "[--dry-run] [--operator ACCOUNT] COLLECTION FILE.csv|FILE.xlsx",
	     N_("add every row of a CSV file, all or none"))
SILVER_LOCAL("export", silver_cmd_export, "COLLECTION FILE.csv|FILE.xlsx",
	     N_("write every record of a collection to a CSV or XLSX file"))
SILVER_LOCAL("log", cmd_log, "", N_("the signed entries this node holds"))
SILVER_LOCAL("digest", cmd_digest, "[--township CODE]", N_("digests of the log and of the state, to compare nodes"))
SILVER_LOCAL("upgrade", cmd_upgrade, "", N_("bring a data store written by an older version up to date"))
SILVER_LOCAL("conflicts", cmd_conflicts, "", N_("list fields edited differently on different nodes"))
SILVER_LOCAL("resolve", cmd_resolve, "ID FIELD (--take N | --value V)", N_("settle a conflict"))
SILVER_LOCAL("export-bundle", cmd_export_bundle, "FILE [--since-of DIR|VECTOR] [--feed TOWNSHIP]... [--for KEY]",
	     N_("write entries to a bundle file (for a USB stick or an auditor)"))
SILVER_LOCAL("import-bundle", cmd_import_bundle, "FILE", N_("verify a bundle file and apply it, all or nothing"))
SILVER_LOCAL("vector", cmd_vector, "[FILE]", N_("what this node holds per feed, for --since-of"))
SILVER_LOCAL("backup", cmd_backup, "NEW-DIR", N_("a consistent copy of this node (store and key) while it runs"))
SILVER_LOCAL("restore", cmd_restore, "--from BACKUP-DIR", N_("make this node from a backup; it waits to catch up"))
SILVER_LOCAL("caught-up", cmd_caught_up, "", N_("let a restored node write again without catching up"))
SILVER_LOCAL("forks", cmd_forks, "[FEED SEQ PROOF-FILE]", N_("list forks held as evidence, or write one's proof file"))
SILVER_LOCAL("admin", cmd_admin, "init | certify | revoke | list", N_("the county admin: certify and revoke office keys"))
SILVER_NET("hub", cmd_hub, "--listen tcp://ADDRESS:PORT",
	   N_("run the county hub: receive every feed, serve each node what it may read"))
SILVER_NET("serve", cmd_serve, "--listen tcp://ADDRESS:PORT", N_("accept peers on this node (e.g. a field laptop)"))
SILVER_NET("sync", cmd_sync, "tcp://HOST:PORT [--server-key HEX]", N_("one sync session with a hub or peer, then a summary"))
SILVER_NET("daemon", cmd_daemon, "--peer tcp://HOST:PORT [--server-key HEX] [--interval S]",
	   N_("keep syncing with a hub; reconnects when the network returns"))
SILVER_NET("status", cmd_status, "[--offices] [--stale-days N] [--county FILE] [--prometheus [--out FILE]]",
	   N_("per peer: last successful sync, entries waiting; at the hub, every office and how current its data is"))
SILVER_LOCAL("web", cmd_web, "[--listen HOST:PORT]",
	     N_("serve the office workbench to a browser (default 127.0.0.1:8470)"))
SILVER_LOCAL("user", cmd_user, "add NAME --role clerk|officer|admin [--replace] | list | delete NAME",
	     N_("the workbench's accounts (the password is read from stdin)"))
SILVER_LOCAL("help", cmd_help, "", N_("this help"))

#undef SILVER_LOCAL
#undef SILVER_NET
