/* espy-cli-password.c: `espy-cli password change|add|remove|recover|apply`,
 * the OTA password flows of EspyPasswordChange from a terminal.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "espy-cli-common.h"
#include "espy-build-runner.h"
#include "espy-password-change.h"
#include "espy-yaml-editor.h"

typedef struct {
  GMainLoop    *loop;
  OutputMode    mode;
  gboolean      ok;
  GError       *error;
} Run;

static void
prepare_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;

  run->ok = espy_password_change_prepare_finish (ESPY_PASSWORD_CHANGE (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Run *run = user_data;

  run->ok = espy_password_change_run_finish (ESPY_PASSWORD_CHANGE (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
progress_cb (EspyPasswordChange *change,
             guint               index,
             int                 step,
             const char         *text,
             Run                *run)
{
  const char *device = espy_password_change_get_device_name (change, index);

  if (run->mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "step");
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, device);
      json_builder_set_member_name (b, "step");
      json_builder_add_string_value (b, espy_password_step_to_nick (step));
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, text);
      json_builder_end_object (b);
      print_json (b);
    }
  else if (step != ESPY_PASSWORD_STEP_FAILED
           && (step != ESPY_PASSWORD_STEP_BUILD || g_str_equal (text, espy_password_step_describe (step))))
    {
      /* The compiler's own status lines are too chatty for a log; a
       * failure is the result's to report. */
      printf ("%s: %s\n", device, text);
      fflush (stdout);
    }
}

static gboolean
sigint_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_CONTINUE;
}

static int
password_exit_code (const GError *error)
{
  if (error->domain == ESPY_PASSWORD_ERROR)
    switch ((EspyPasswordError) error->code)
      {
      case ESPY_PASSWORD_ERROR_CURRENT_REJECTED:
        return EXIT_AUTH;
      case ESPY_PASSWORD_ERROR_SHARED:
        return EXIT_USAGE;
      case ESPY_PASSWORD_ERROR_INVALID:
      case ESPY_PASSWORD_ERROR_NO_OTA:
      case ESPY_PASSWORD_ERROR_NOT_EDITABLE:
      case ESPY_PASSWORD_ERROR_HAS_PASSWORD:
      case ESPY_PASSWORD_ERROR_SERIAL_ONLY:
        return EXIT_BAD_INPUT;
      case ESPY_PASSWORD_ERROR_UNVERIFIED:
      case ESPY_PASSWORD_ERROR_PARTIAL:
      case ESPY_PASSWORD_ERROR_NOT_PREPARED:
      default:
        return EXIT_DEVICE;
      }
  if (error->domain == ESPY_YAML_EDIT_ERROR)
    return EXIT_BAD_INPUT;
  return exit_code_for_error (error);
}

static const char *
password_json_code (const GError *error)
{
  static const char *codes[] = { "invalid", "no-ota", "not-editable", "shared", "current-rejected",
                                 "has-password", "serial-only", "unverified", "partial", "not-prepared" };

  if (error->domain == ESPY_PASSWORD_ERROR && (guint) error->code < G_N_ELEMENTS (codes))
    return codes[error->code];
  if (error->domain == ESPY_YAML_EDIT_ERROR)
    return "edit";
  if (error->domain == ESPY_BUILD_ERROR)
    return "build";
  return code_for_error (error);
}

static void
add_strv (JsonBuilder        *b,
          const char         *member,
          const char * const *strv)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
}

static void
print_plan (EspyPasswordChange *change,
            OutputMode          mode)
{
  g_auto(GStrv) files = espy_password_change_get_files (change);
  g_auto(GStrv) shared = espy_password_change_get_shared_devices (change);
  /* Redacted: the diff may be logged by whoever runs the command. */
  g_autofree char *diff = espy_password_change_get_diff (change, TRUE);
  guint n = espy_password_change_get_n_devices (change);

  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "plan");
      add_strv (b, "files", (const char * const *) files);
      add_strv (b, "shared_devices", (const char * const *) shared);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      for (guint i = 0; i < n; i++)
        json_builder_add_string_value (b, espy_password_change_get_device_name (change, i));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "diff");
      json_builder_add_string_value (b, diff);
      json_builder_end_object (b);
      print_json (b);
      return;
    }
  if (diff[0] != '\0')
    printf ("%s\n%s\n", _("The configuration will change like this (passwords hidden):"), diff);
  if (shared[0] != NULL)
    {
      g_autofree char *names = g_strjoinv (", ", shared);

      printf (_("The same password is used by: %s\n"), names);
    }
  fflush (stdout);
}

static void
print_result (EspyPasswordChange *change,
              OutputMode          mode,
              const GError       *error)
{
  guint n = espy_password_change_get_n_devices (change);
  const GError *keyring = espy_password_change_get_keyring_error (change);

  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, error == NULL);
      if (error != NULL)
        {
          json_builder_set_member_name (b, "error");
          json_builder_add_string_value (b, error->message);
          json_builder_set_member_name (b, "code");
          json_builder_add_string_value (b, password_json_code (error));
        }
      json_builder_set_member_name (b, "rolled_back");
      json_builder_add_boolean_value (b, espy_password_change_get_rolled_back (change));
      if (keyring != NULL)
        {
          json_builder_set_member_name (b, "keyring_error");
          json_builder_add_string_value (b, keyring->message);
        }
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      for (guint i = 0; i < n; i++)
        {
          const GError *device_error = espy_password_change_get_device_error (change, i);
          gboolean new_accepted = FALSE;
          gboolean old_refused = FALSE;
          gboolean verified = espy_password_change_get_device_verified (change, i, &new_accepted, &old_refused);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, espy_password_change_get_device_name (change, i));
          json_builder_set_member_name (b, "expects");
          json_builder_add_string_value (b, espy_password_expects_to_nick (
                                              espy_password_change_get_device_expects (change, i)));
          json_builder_set_member_name (b, "verified");
          json_builder_add_boolean_value (b, verified);
          json_builder_set_member_name (b, "new_accepted");
          json_builder_add_boolean_value (b, new_accepted);
          json_builder_set_member_name (b, "old_refused");
          json_builder_add_boolean_value (b, old_refused);
          if (device_error != NULL)
            {
              json_builder_set_member_name (b, "failed_step");
              json_builder_add_string_value (b, espy_password_step_to_nick (
                                                  espy_password_change_get_device_failed_step (change, i)));
              json_builder_set_member_name (b, "error");
              json_builder_add_string_value (b, device_error->message);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      const char *name = espy_password_change_get_device_name (change, i);

      switch (espy_password_change_get_device_expects (change, i))
        {
        case ESPY_PASSWORD_EXPECTS_NEW:
          printf (_("%s: verified: the device accepts the new password and refuses the old one\n"), name);
          break;
        case ESPY_PASSWORD_EXPECTS_OLD:
          printf (_("%s: unchanged: the device still expects the old password\n"), name);
          break;
        case ESPY_PASSWORD_EXPECTS_UNKNOWN:
        default:
          printf (_("%s: unknown: check the device (espy-cli check)\n"), name);
          break;
        }
    }
  if (keyring != NULL)
    printf ("%s\n", keyring->message);
  fflush (stdout);
}

/* NEW: --new-password-file, else $ESPY_NEW_PASSWORD, else NULL. */
static char *
read_new_password (const char  *file,
                   GError     **error)
{
  if (file != NULL)
    return read_password_file (file, error);
  return g_strdup (g_getenv ("ESPY_NEW_PASSWORD"));
}

int
cmd_password (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *current_file = NULL;
  g_autofree char *new_file = NULL;
  g_autofree char *host = NULL;
  char *current = NULL;
  char *new_password = NULL;
  gboolean rotate = FALSE;
  gboolean own = FALSE;
  gboolean json = FALSE;
  gboolean no_keyring = FALSE;
  gboolean dry_run = FALSE;
  int port = 0;
  int web_port = 0;
  int reboot_timeout = 60;
  EspyPasswordFlow flow;
  OutputMode mode;
  Run run = { 0 };
  guint sigint_id;
  GOptionEntry entries[] = {
    { "current-password-file", 0, 0, G_OPTION_ARG_FILENAME, &current_file,
      N_("The password the device accepts now, from FILE (else $ESPY_PASSWORD, else the YAML's)"), N_("FILE") },
    { "new-password-file", 0, 0, G_OPTION_ARG_FILENAME, &new_file,
      N_("The new password, from FILE (else $ESPY_NEW_PASSWORD)"), N_("FILE") },
    { "rotate-shared", 0, 0, G_OPTION_ARG_NONE, &rotate,
      N_("The password is a !secret other devices use: change it on all of them"), NULL },
    { "own-secret", 0, 0, G_OPTION_ARG_NONE, &own,
      N_("The password is a !secret other devices use: give this device its own"), NULL },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("The device's address (default: the YAML's use_address, static IP or NAME.local)"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_("The device's OTA port (default: the YAML's or the platform's)"), N_("N") },
    { "web-port", 0, 0, G_OPTION_ARG_INT, &web_port,
      N_("recover: the web server port (default: the YAML's)"), N_("N") },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
      N_("Show what would change (passwords hidden) and stop"), NULL },
    { "no-keyring", 0, 0, G_OPTION_ARG_NONE, &no_keyring,
      N_("Do not save the new password in the keyring"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line: the plan, each step and the result"), NULL },
    { "reboot-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &reboot_timeout,
      "Seconds to wait for the device to come back", "S" },
    { NULL }
  };

  if (argv_has_password (argc, argv))
    {
      print_error (_("passwords are not accepted on the command line, where other users can see them; "
                     "use --current-password-file / --new-password-file or ESPY_PASSWORD / ESPY_NEW_PASSWORD"));
      return EXIT_USAGE;
    }

  g_set_prgname ("espy-cli password");
  context = g_option_context_new (_("change|add|remove|recover|apply CONFIG.yaml"));
  g_option_context_set_summary (context,
    _("Changes the OTA password of the device built from CONFIG.yaml in one build: the firmware is built "
      "with the new password, installed authenticating with the current one, and the device is checked "
      "to accept the new password and refuse the old one. If anything fails before the device took the "
      "new firmware, every file is restored byte for byte.\n\n"
      "  change   old password -> new password\n"
      "  add      no password -> new password\n"
      "  remove   old password -> no password\n"
      "  recover  unknown password -> new (or no) password, through the web server's /update\n"
      "  apply    the device rejects the password in the YAML: install the YAML's password,\n"
      "           authenticating with the one the device has (--current-password-file)"));
  g_option_context_set_description (context, _(EXIT_CODES_HELP));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli password --help”"));
      return EXIT_USAGE;
    }
  if (argc != 3 || !espy_password_flow_from_nick (argv[1], &flow))
    {
      print_error (_("password needs one of change, add, remove, recover, apply and CONFIG.yaml; "
                     "see “espy-cli password --help”"));
      return EXIT_USAGE;
    }
  if (rotate && own)
    {
      print_error (_("choose either --rotate-shared or --own-secret"));
      return EXIT_USAGE;
    }
  if (port < 0 || port > 65535 || web_port < 0 || web_port > 65535 || reboot_timeout < 1)
    {
      print_error (_("ports must be between 1 and 65535 and the timeout positive"));
      return EXIT_USAGE;
    }
  mode = json ? OUTPUT_JSON : OUTPUT_PLAIN;

  /* Bad input changes nothing: everything is read before any work. */
  if (current_file != NULL || g_getenv ("ESPY_PASSWORD") != NULL)
    {
      current = read_password (current_file, &error);
      if (error != NULL)
        return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);
    }
  new_password = read_new_password (new_file, &error);
  if (error != NULL)
    {
      secret_free (current);
      return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);
    }

  file = g_file_new_for_commandline_arg (argv[2]);
  config = espy_device_config_new_for_file (file, NULL, &error);
  if (config == NULL)
    {
      secret_free (current);
      secret_free (new_password);
      return report_failure (mode, error, "config", EXIT_BAD_INPUT);
    }

  change = espy_password_change_new (config, flow);
  if (current != NULL)
    espy_password_change_set_current_password (change, current);
  espy_password_change_set_new_password (change, new_password);
  secret_free (current);
  secret_free (new_password);
  espy_password_change_set_shared (change, rotate ? ESPY_PASSWORD_SHARED_ROTATE_ALL
                                   : own ? ESPY_PASSWORD_SHARED_OWN_SECRET : ESPY_PASSWORD_SHARED_ASK);
  espy_password_change_set_host (change, host);
  espy_password_change_set_port (change, (guint16) port);
  espy_password_change_set_web_port (change, (guint16) web_port);
  espy_password_change_set_reboot_timeout (change, (guint) reboot_timeout * 1000);
  espy_password_change_set_use_keyring (change, !no_keyring);

  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, cancellable);
  run.loop = loop;
  run.mode = mode;

  espy_password_change_prepare_async (change, cancellable, prepare_done, &run);
  g_main_loop_run (loop);
  if (!run.ok)
    {
      int ret = report_failure (mode, run.error, password_json_code (run.error), password_exit_code (run.error));

      g_clear_error (&run.error);
      g_source_remove (sigint_id);
      return ret;
    }
  print_plan (change, mode);
  if (dry_run)
    {
      g_source_remove (sigint_id);
      return EXIT_OK;
    }

  g_signal_connect (change, "progress", G_CALLBACK (progress_cb), &run);
  espy_password_change_run_async (change, cancellable, run_done, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_signal_handlers_disconnect_by_data (change, &run);

  print_result (change, mode, run.error);
  if (!run.ok)
    {
      int ret;

      /* The JSON result line is out already: only the one-line error. */
      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        print_error (_("cancelled"));
      else
        print_error (run.error->message);
      ret = password_exit_code (run.error);
      g_clear_error (&run.error);
      return ret;
    }
  return EXIT_OK;
}
