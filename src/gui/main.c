/* main.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "espy-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EspyApplication) app = NULL;
  /* Test hook: the build tree's catalogues instead of the installed ones
   * (tests/test-ui-german.c). */
  const char *localedir = g_getenv ("ESPY_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = espy_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
