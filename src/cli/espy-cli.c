/* espy-cli.c: the Espy core from a terminal or a script.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <stdio.h>

#include "espy-cli-common.h"

/* --- dispatch --------------------------------------------------------------- */

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
  const char *summary;
} Command;

static const Command commands[] = {
  { "upload", cmd_upload, "upload HOST FIRMWARE [--port N] [--password-file F] [--via ota|web] [--web-port N] [--json]",
    N_("Install firmware over the air") },
  { "install", cmd_install, "install DEVICE-OR-YAML [--firmware F] [--via ota|web|auto] [--config-dir D] [--json]",
    N_("Build if needed, install, wait for the restart and check the new build runs") },
  { "update-all", cmd_update_all, "update-all --config-dir D [--jobs N] [--json]",
    N_("Build and install every device of a configuration folder") },
  { "discover", cmd_discover, "discover [--timeout SECONDS] [--json]",
    N_("List the ESPHome devices that announce themselves over mDNS") },
  { "devices", cmd_devices, "devices [--config-dir DIR] [--timeout SECONDS] [--json]",
    N_("List every known device: mDNS, configuration folder, added by address") },
  { "info", cmd_info, "info HOST [--port N] [--key-file F] [--json]",
    N_("Show a device's information") },
  { "logs", cmd_logs, "logs HOST [--port N] [--key-file F] [--level LEVEL] [--dump-config] [--duration SECONDS] [--no-color]",
    N_("Follow a device's logs") },
  { "password", cmd_password,
    "password change|add|remove|recover|apply CONFIG.yaml [--current-password-file F] [--new-password-file F] "
    "[--rotate-shared|--own-secret] [--json]",
    N_("Change, add, remove or recover a device's OTA password in one verified build") },
  { "check", cmd_check, "check HOST [--port N] [--password-file F]",
    N_("Check the OTA password without uploading") },
  { "doctor", cmd_doctor, "doctor HOST [--port N] [--api-port N] [--web-port N] [--password-file F] [--json]",
    N_("Find out why updates to a device fail") },
  { "history", cmd_history, "history [DEVICE] [--problems] [--limit N] [--json]",
    N_("List recorded install attempts with their diagnosis") },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n  espy-cli COMMAND [OPTIONS…]\n\n%s\n", _("Usage:"), _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %s\n      %s%s\n", commands[i].usage, _(commands[i].summary),
             commands[i].run == NULL ? _(" (not available yet)") : "");
  fprintf (out, "\n%s\n", _("Run “espy-cli COMMAND --help” for the options of a command."));
  fprintf (out, "\n%s\n", _(EXIT_CODES_HELP));
}

int
main (int    argc,
      char **argv)
{
  const char *name;

  setlocale (LC_ALL, "");
  /* ESPY_LOCALEDIR: test hook for the build tree's catalogues. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("ESPY_LOCALEDIR") != NULL ? g_getenv ("ESPY_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_set_prgname ("espy-cli");

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  name = argv[1];
  if (g_str_equal (name, "--help") || g_str_equal (name, "-h") || g_str_equal (name, "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (name, "--version"))
    {
      printf ("espy-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (!g_str_equal (name, commands[i].name))
        continue;
      if (commands[i].run == NULL)
        {
          print_errorf (_("'%s' is not available yet"), name);
          return EXIT_USAGE;
        }
      /* The command sees itself as argv[0], as GOptionContext expects. */
      return commands[i].run (argc - 1, argv + 1);
    }

  print_errorf (_("unknown command “%s”; run “espy-cli --help”"), name);
  return EXIT_USAGE;
}
