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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SILVER_TEXTDOMAIN "silversync"
#define _(s) dgettext(SILVER_TEXTDOMAIN, s)
#define N_(s) (s)
/* Plural forms: P_("%d day", "%d days", n) (ngettext in our text domain). */
#define P_(s, p, n) dngettext(SILVER_TEXTDOMAIN, s, p, (unsigned long)(n))

/* The locale named by the environment, or when that locale is not
 * installed (LANG=zh_CN.UTF-8 on a machine where only C.UTF-8 is
 * generated), C.UTF-8 with the wanted language put in LANGUAGE, so the
 * messages are still Chinese: gettext takes the catalogue from LANGUAGE
 * whenever LC_MESSAGES is not plain "C". */
static inline void silver_i18n_locale(void)
{
	const char *want = getenv("LC_ALL");
	const char *language = getenv("LANGUAGE");
	char lang[32];
	size_t n = 0;

	/* Only the two categories the programs use: LC_CTYPE (UTF-8, display
	 * widths, iconv) and LC_MESSAGES (the catalogue).  Numbers, dates and
	 * sorting stay the C locale's whatever the user's (fixed formats), and
	 * loading the other ten categories cost a dozen file opens at every
	 * start.  The catalogue itself is read by gettext at the first
	 * translated message. */
	if (setlocale(LC_CTYPE, "") && setlocale(LC_MESSAGES, ""))
		return;
	if (!want || !*want)
		want = getenv("LC_MESSAGES");
	if (!want || !*want)
		want = getenv("LANG");
	if (!setlocale(LC_CTYPE, "C.UTF-8") || !setlocale(LC_MESSAGES, "C.UTF-8")) {
		setlocale(LC_CTYPE, "C");
		setlocale(LC_MESSAGES, "C");
	}
	if (!want || (language && *language))
		return;
	while (want[n] && want[n] != '.' && want[n] != '@' && n + 1 < sizeof(lang)) {
		lang[n] = want[n];
		n++;
	}
	lang[n] = 0;
	if (n >= 2 && strcmp(lang, "C") != 0 && strcmp(lang, "POSIX") != 0)
		setenv("LANGUAGE", lang, 1);
}

/* 1 when the program runs from the build tree (its executable lies under
 * SILVER_BUILD_DIR): only then is the build tree's catalogue used, so an
 * installed program never reads a catalogue from a build directory that
 * happens to still exist. */
static inline int silver_i18n_in_build_tree(void)
{
#ifdef SILVER_BUILD_DIR
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t bl = strlen(SILVER_BUILD_DIR);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	return strncmp(exe, SILVER_BUILD_DIR, bl) == 0 && exe[bl] == '/';
#else
	return 0;
#endif
}

/* Sets the locale (silver_i18n_locale) and binds the text domain:
 * $SILVER_LOCALEDIR, else the build tree's catalogue for a program run from
 * the build tree, else the installed one. */
static inline void silver_i18n_init(void)
{
	const char *dir = getenv("SILVER_LOCALEDIR");
	silver_i18n_locale();
#ifdef SILVER_BUILD_LOCALEDIR
	{
		struct stat st;
		if (!dir && silver_i18n_in_build_tree() && stat(SILVER_BUILD_LOCALEDIR, &st) == 0)
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

/* 1 when messages are shown in Chinese (the catalogue in use is zh's):
 * its header, the translation of "", names the language. */
static inline int silver_i18n_chinese(void)
{
	static const char header[] = ""; /* a variable: xgettext must not take "" for a message */
	const char *h = dgettext(SILVER_TEXTDOMAIN, header);
	return h && strstr(h, "Language: zh") != NULL;
}

#endif
