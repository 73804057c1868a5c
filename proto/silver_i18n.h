/*
 * silver_i18n.h - gettext glue shared by every program and library.
 * Strings the user reads are written in English inside _() (or N_() where
 * they sit in static tables and are translated when shown); the zh_CN
 * catalogue in po/ makes them Chinese.  Programs call silver_i18n_init()
 * first thing in main().
 */
#ifndef SILVER_I18N_H
#define SILVER_I18N_H

#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>

#define SILVER_TEXTDOMAIN "silversync"
#define _(s) dgettext(SILVER_TEXTDOMAIN, s)
#define N_(s) (s)

/* Binds the text domain: $SILVER_LOCALEDIR, else the build tree's catalogue
 * when it exists (so programs run from build/bin speak Chinese), else the
 * installed one. */
static inline void silver_i18n_init(void)
{
	const char *dir = getenv("SILVER_LOCALEDIR");
	/* Only the two categories the programs use: LC_CTYPE (UTF-8, display
	 * widths, iconv) and LC_MESSAGES (the catalogue).  Numbers, dates and
	 * sorting stay the C locale's whatever the user's (fixed formats), and
	 * loading the other ten categories cost a dozen file opens at every
	 * start.  The catalogue itself is read by gettext at the first
	 * translated message. */
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
#ifdef SILVER_BUILD_LOCALEDIR
	{
		struct stat st;
		if (!dir && stat(SILVER_BUILD_LOCALEDIR, &st) == 0)
			dir = SILVER_BUILD_LOCALEDIR;
	}
#endif
#ifdef LOCALEDIR
	if (!dir)
		dir = LOCALEDIR;
#endif
	if (dir)
		bindtextdomain(SILVER_TEXTDOMAIN, dir);
	bind_textdomain_codeset(SILVER_TEXTDOMAIN, "UTF-8");
}

#endif
