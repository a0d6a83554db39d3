/* espy-cli-doctor.c: `espy-cli doctor` (the troubleshooting checks and the
 * diagnosis of the last failed install) and `espy-cli history`.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "espy-cli-common.h"
#include "espy-device-checks.h"
#include "espy-diagnosis.h"
#include "espy-history.h"
#include "espy-report.h"

/* --- JSON helpers ----------------------------------------------------------- */

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_checks (JsonBuilder *b,
            GPtrArray   *checks)
{
  json_builder_set_member_name (b, "checks");
  json_builder_begin_array (b);
  for (guint i = 0; checks != NULL && i < checks->len; i++)
    {
      const EspyCheckResult *r = g_ptr_array_index (checks, i);

      json_builder_begin_object (b);
      add_string (b, "check", espy_check_id_to_nick (r->id));
      add_string (b, "status", espy_check_status_to_nick (r->status));
      add_string (b, "summary", r->summary);
      json_builder_set_member_name (b, "elapsed_ms");
      json_builder_add_int_value (b, r->elapsed_ms);
      add_string (b, "value", r->value);
      add_string (b, "error_domain", r->error_domain);
      add_string (b, "error_code", r->error_code);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_diagnosis (JsonBuilder         *b,
               const EspyDiagnosis *d)
{
  json_builder_set_member_name (b, "diagnosis");
  json_builder_begin_object (b);
  add_string (b, "cause", d->cause);
  add_string (b, "title", d->title);
  add_string (b, "explanation", d->explanation);
  json_builder_set_member_name (b, "findings");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->findings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (d->findings, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->steps->len; i++)
    {
      const EspyDiagnosisStep *step = g_ptr_array_index (d->steps, i);

      json_builder_begin_object (b);
      add_string (b, "text", step->text);
      add_string (b, "action", espy_diagnosis_action_to_nick (step->action));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_attempt (JsonBuilder              *b,
             const EspyInstallAttempt *attempt)
{
  json_builder_set_member_name (b, "attempt");
  if (attempt != NULL)
    json_builder_add_value (b, espy_install_attempt_to_json (attempt));
  else
    json_builder_add_null_value (b);
}

/* "kitchen.local" and "kitchen" name the same device in the history. */
static char *
device_name_for_host (const char *host)
{
  if (g_hostname_is_ip_address (host))
    return g_strdup (host);
  if (g_str_has_suffix (host, ".local"))
    return g_strndup (host, strlen (host) - strlen (".local"));
  if (g_str_has_suffix (host, ".local."))
    return g_strndup (host, strlen (host) - strlen (".local."));
  return g_strdup (host);
}

static EspyHistory *
open_history (const char *path)
{
  g_autoptr(GError) error = NULL;
  EspyHistory *history = espy_history_new (path);

  if (!espy_history_load (history, &error))
    print_errorf (_("warning: %s"), error->message);
  return history;
}

/* --- doctor ----------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  GPtrArray *results;
  GError    *error;
} DoctorRun;

static void
checks_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  DoctorRun *run = user_data;

  run->results = espy_device_checks_run_finish (ESPY_DEVICE_CHECKS (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static int
doctor_exit_code (GPtrArray *results)
{
  const EspyCheckResult *handshake = espy_check_results_find (results, ESPY_CHECK_OTA_HANDSHAKE);

  if (handshake == NULL || handshake->status != ESPY_CHECK_STATUS_FAIL)
    return EXIT_OK;
  if (g_strcmp0 (handshake->error_code, "password-rejected") == 0 ||
      g_strcmp0 (handshake->error_code, "sha256-required") == 0)
    return EXIT_AUTH;
  if (g_strcmp0 (handshake->error_code, "timeout") == 0 || g_strcmp0 (handshake->error_code, "resolve") == 0 ||
      g_strcmp0 (handshake->error_code, "connection-refused") == 0 ||
      g_strcmp0 (handshake->error_code, "unreachable") == 0 || g_strcmp0 (handshake->error_code, "closed") == 0 ||
      g_strcmp0 (handshake->error_code, "network") == 0)
    return EXIT_NETWORK;
  return EXIT_DEVICE;
}

int
cmd_doctor (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceChecks) checks = NULL;
  g_autoptr(EspyHistory) history = NULL;
  g_autoptr(EspyInstallAttempt) attempt = NULL;
  g_autoptr(EspyDiagnosis) diagnosis = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *history_file = NULL;
  g_autofree char *device = NULL;
  char *password = NULL;
  char *key = NULL;
  gboolean json = FALSE;
  int port = 0, api_port = 0, web_port = 0;
  int timeout_ms = ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS;
  const char *secrets[3] = { NULL, NULL, NULL };
  EspyDiagnosisInput input = { 0 };
  const char * const *log_lines = NULL;
  DoctorRun run = { 0 };
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_("OTA port (default 3232; ESP8266 8266, RP2040 2040, BK72xx 8892)"), N_("N") },
    { "api-port", 0, 0, G_OPTION_ARG_INT, &api_port, N_("Native API port (default 6053)"), N_("N") },
    { "web-port", 0, 0, G_OPTION_ARG_INT, &web_port, N_("Web server port (default: not checked)"), N_("N") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the OTA password from FILE (else from $ESPY_PASSWORD) to check it too"), N_("FILE") },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      N_("Read the API encryption key (base64) from FILE"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as one JSON object"), NULL },
    { "timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &timeout_ms, "Bound of each check", "MS" },
    { "history-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &history_file, "History file", "FILE" },
    { NULL }
  };

  if (argv_has_password (argc, argv))
    {
      print_error (_("passwords are not accepted on the command line, where other users can see them; "
                     "use --password-file FILE or the ESPY_PASSWORD environment variable"));
      return EXIT_USAGE;
    }

  g_set_prgname ("espy-cli doctor");
  context = g_option_context_new (_("HOST"));
  g_option_context_set_summary (context, _("Checks why installs to the ESPHome device at HOST fail: name "
                                           "resolution (mDNS and DNS), the network, the OTA, API and web ports, "
                                           "the OTA handshake (nothing is uploaded) and the device's information; "
                                           "then explains the last failed install recorded for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli doctor --help”"));
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("doctor needs HOST; see “espy-cli doctor --help”"));
      return EXIT_USAGE;
    }
  if (port < 0 || port > 65535 || api_port < 0 || api_port > 65535 || web_port < 0 || web_port > 65535)
    {
      print_error (_("ports must be between 1 and 65535"));
      return EXIT_USAGE;
    }
  if (timeout_ms < 100)
    timeout_ms = 100;

  password = read_password (password_file, &error);
  if (error != NULL)
    return report_failure (json ? OUTPUT_JSON : OUTPUT_PLAIN, error, "password-file", EXIT_BAD_INPUT);
  if (key_file != NULL)
    {
      key = read_password_file (key_file, &error);
      if (key == NULL)
        {
          secret_free (password);
          return report_failure (json ? OUTPUT_JSON : OUTPUT_PLAIN, error, "key-file", EXIT_BAD_INPUT);
        }
      g_strstrip (key);
    }

  checks = espy_device_checks_new (argv[1], (guint16) port, (guint16) api_port, (guint16) web_port);
  espy_device_checks_set_timeout (checks, (guint) timeout_ms);
  espy_device_checks_set_ota_password (checks, password);
  espy_device_checks_set_api_key (checks, key);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  espy_device_checks_run_async (checks, NULL, checks_done, &run);
  g_main_loop_run (loop);
  if (run.results == NULL)
    {
      int ret = report_failure (json ? OUTPUT_JSON : OUTPUT_PLAIN, run.error, NULL, -1);

      g_clear_error (&run.error);
      secret_free (password);
      secret_free (key);
      return ret;
    }
  results = run.results;

  device = device_name_for_host (argv[1]);
  history = open_history (history_file);
  attempt = espy_history_get_last (history, device, TRUE);
  if (attempt != NULL)
    log_lines = espy_history_get_log_lines (history, attempt);

  input.attempt = attempt;
  input.checks = results;
  input.log_lines = log_lines;
  input.host = argv[1];
  diagnosis = espy_diagnose (&input);

  /* Never echo a secret, even one a device or a log put in a message. */
  secrets[0] = password;
  secrets[1] = key;

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_autofree char *redacted = NULL;

      json_builder_begin_object (b);
      add_string (b, "host", argv[1]);
      add_string (b, "device", device);
      add_checks (b, results);
      add_attempt (b, attempt);
      add_diagnosis (b, diagnosis);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      text = json_generator_to_data (gen, NULL);
      redacted = espy_report_redact (text, secrets);
      printf ("%s\n", redacted);
    }
  else
    {
      EspyReportInput report = { 0 };
      g_autofree char *text = NULL;

      report.device = device;
      report.host = argv[1];
      report.attempt = attempt;
      report.log_lines = log_lines;
      report.checks = results;
      report.diagnosis = diagnosis;
      report.secrets = secrets;
      text = espy_report_build (&report);
      printf ("%s", text);
    }
  fflush (stdout);

  secret_free (password);
  secret_free (key);
  return doctor_exit_code (results);
}

/* --- history ---------------------------------------------------------------- */

int
cmd_history (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyHistory) history = NULL;
  g_autoptr(GPtrArray) attempts = NULL;
  g_autofree char *history_file = NULL;
  g_autofree char *device = NULL;
  gboolean json = FALSE, problems = FALSE;
  int limit = 20;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per attempt"), NULL },
    { "problems", 0, 0, G_OPTION_ARG_NONE, &problems, N_("Only failed attempts"), NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most N attempts, newest first (0: all; default 20)"),
      N_("N") },
    { "history-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &history_file, "History file", "FILE" },
    { NULL }
  };

  g_set_prgname ("espy-cli history");
  context = g_option_context_new (_("[DEVICE]"));
  g_option_context_set_summary (context, _("Lists the recorded install attempts (of DEVICE, or of every device), "
                                           "newest first, each with its diagnosis."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli history --help”"));
      return EXIT_USAGE;
    }
  if (argc > 2 || limit < 0)
    {
      print_error (_("history takes at most one DEVICE; see “espy-cli history --help”"));
      return EXIT_USAGE;
    }
  if (argc == 2)
    device = device_name_for_host (argv[1]);

  history = open_history (history_file);
  attempts = problems ? espy_history_list_problems (history, device, (guint) limit)
                      : espy_history_list (history, device, (guint) limit);

  if (!json && attempts->len == 0)
    {
      if (device != NULL)
        printf (_("No install attempts recorded for %s.\n"), device);
      else
        printf ("%s\n", _("No install attempts recorded yet."));
    }

  for (guint i = 0; i < attempts->len; i++)
    {
      const EspyInstallAttempt *a = g_ptr_array_index (attempts, i);
      EspyDiagnosisInput input = { a, NULL, espy_history_get_log_lines (history, a), NULL, NULL };
      g_autoptr(EspyDiagnosis) d = espy_diagnose (&input);

      if (json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();

          json_builder_begin_object (b);
          add_attempt (b, a);
          add_diagnosis (b, d);
          json_builder_end_object (b);
          print_json (b);
        }
      else
        {
          g_autofree char *when = espy_report_format_time (a->started);
          gboolean failed = g_strcmp0 (a->result, "failed") == 0;

          printf ("%s  %s  %s", when, a->device_name != NULL ? a->device_name : "?",
                  a->result != NULL ? a->result : "?");
          if (a->image_name != NULL)
            printf ("  %s", a->image_name);
          printf ("\n");
          if (failed && a->error_message != NULL)
            printf ("    %s\n", a->error_message);
          if (failed || g_strcmp0 (a->result, "cancelled") == 0)
            {
              printf ("    → %s\n", d->title);
              for (guint k = 0; k < d->steps->len; k++)
                printf ("      %u. %s\n", k + 1, ((EspyDiagnosisStep *) g_ptr_array_index (d->steps, k))->text);
            }
        }
    }
  fflush (stdout);
  return EXIT_OK;
}
