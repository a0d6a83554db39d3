/* espy-cli-logs.c: `espy-cli info` and `espy-cli logs`, over the native API.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "espy-api-client.h"
#include "espy-log-session.h"

#include "espy-cli-common.h"

/* --- shared ------------------------------------------------------------------ */

/* Exit codes of the API's failures (the common helper knows the OTA ones). */
static int
api_exit_code (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_CANCELLED;
  if (error->domain != ESPY_API_ERROR)
    return exit_code_for_error (error);
  switch ((EspyApiError) error->code)
    {
    case ESPY_API_ERROR_WRONG_KEY:
    case ESPY_API_ERROR_KEY_REQUIRED:
    case ESPY_API_ERROR_WRONG_PASSWORD:
    case ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED:
      return EXIT_AUTH;
    case ESPY_API_ERROR_INVALID_KEY:
      return EXIT_BAD_INPUT;
    case ESPY_API_ERROR_CLOSED:
    case ESPY_API_ERROR_TIMEOUT:
    case ESPY_API_ERROR_CONNECT_FAILED:
      return EXIT_NETWORK;
    case ESPY_API_ERROR_HANDSHAKE_REJECTED:
    case ESPY_API_ERROR_FRAME_TOO_LARGE:
    case ESPY_API_ERROR_PROTOCOL:
    case ESPY_API_ERROR_NOT_CONNECTED:
    default:
      return EXIT_DEVICE;
    }
}

static const char *
api_code (const GError *error)
{
  if (error->domain == ESPY_API_ERROR)
    return espy_api_error_to_nick (error->code);
  return code_for_error (error);
}

/* The base64 PSK from FILE (whitespace around it ignored), checked. The
 * message never repeats the file's content. */
static char *
read_key_file (const char  *path,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read the key file: %s"),
                   local_error->message);
      return NULL;
    }
  g_strstrip (contents);
  if (!espy_api_parse_key (contents, NULL, &local_error))
    {
      g_set_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY,
                   _("The key file “%s” does not hold an API encryption key: %s"), path,
                   local_error->message);
      secret_free (contents);
      return NULL;
    }
  return contents;
}

static gboolean
check_port (int port)
{
  if (port >= 1 && port <= 65535)
    return TRUE;
  print_errorf (_("--port must be between 1 and 65535, not %d"), port);
  return FALSE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* --- info -------------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

static GAsyncResult *
wait_result (Wait *wait)
{
  g_main_loop_run (wait->loop);
  return wait->result;
}

static void
print_field (const char *label,
             const char *value)
{
  if (value != NULL && value[0] != '\0')
    printf ("%-18s %s\n", label, value);
}

static void
print_details (const EspyApiDetails *d)
{
  g_autofree char *api = g_strdup_printf ("%u.%u", d->api_version_major, d->api_version_minor);
  g_autofree char *web = d->webserver_port != 0 ? g_strdup_printf ("%u", d->webserver_port) : NULL;

  print_field (_("Name:"), d->name);
  print_field (_("Friendly name:"), d->friendly_name);
  print_field (_("MAC address:"), d->mac);
  print_field (_("ESPHome version:"), d->esphome_version);
  print_field (_("Compiled:"), d->compilation_time);
  print_field (_("Model:"), d->model);
  print_field (_("Manufacturer:"), d->manufacturer);
  print_field (_("Project:"), d->project_name);
  print_field (_("Project version:"), d->project_version);
  print_field (_("Area:"), d->suggested_area);
  print_field (_("Web server port:"), web);
  print_field (_("Encryption:"), d->encrypted ? _("in use")
                                 : d->api_encryption_supported == ESPY_TRISTATE_YES ? _("supported, not in use")
                                 : _("not in use"));
  print_field (_("API version:"), api);
  print_field (_("Server:"), d->server_info);
}

int
cmd_info (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiClient) client = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(EspyApiDetails) details = NULL;
  g_autofree char *key_file = NULL;
  char *key = NULL;
  gboolean json = FALSE;
  int port = ESPY_API_DEFAULT_PORT;
  int timeout_ms = 20000;
  OutputMode mode;
  Wait wait = { 0 };
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Native API port (default 6053)"), N_("N") },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      N_("Read the API encryption key (base64, as in the YAML) from FILE"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the information as one JSON object"), NULL },
    { "timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &timeout_ms, "Connect timeout", "MS" },
    { NULL }
  };

  g_set_prgname ("espy-cli info");
  context = g_option_context_new (_("HOST"));
  g_option_context_set_summary (context, _("Shows what the ESPHome device at HOST says about itself over the "
                                           "native API: versions, compilation time, model, MAC address."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli info --help”"));
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("info needs HOST; see “espy-cli info --help”"));
      return EXIT_USAGE;
    }
  if (!check_port (port) || timeout_ms < 1)
    return EXIT_USAGE;
  mode = json ? OUTPUT_JSON : OUTPUT_PLAIN;

  client = espy_api_client_new (argv[1], (guint16) port);
  espy_api_client_set_timeouts (client, (guint) timeout_ms, 0, 0, (guint) timeout_ms);
  if (key_file != NULL)
    {
      key = read_key_file (key_file, &error);
      if (key == NULL)
        return report_failure (mode, error, "key-file", EXIT_BAD_INPUT);
      espy_api_client_set_encryption_key (client, key, &error);
      secret_free (key);
      if (error != NULL)
        return report_failure (mode, error, "key-file", EXIT_BAD_INPUT);
    }

  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  espy_api_client_connect_async (client, NULL, on_done, &wait);
  result = wait_result (&wait);
  wait.result = NULL;
  if (!espy_api_client_connect_finish (client, result, &error))
    return report_failure (mode, error, api_code (error), api_exit_code (error));
  g_clear_object (&result);

  espy_api_client_device_info_async (client, NULL, on_done, &wait);
  result = wait_result (&wait);
  wait.result = NULL;
  info = espy_api_client_device_info_finish (client, result, &error);
  if (info == NULL)
    return report_failure (mode, error, api_code (error), api_exit_code (error));
  details = espy_api_details_new (info, client);

  /* Say goodbye properly: devices allow only a few clients at once. */
  g_clear_object (&result);
  espy_api_client_disconnect_async (client, NULL, on_done, &wait);
  result = wait_result (&wait);
  espy_api_client_disconnect_finish (client, result, NULL);

  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonNode) node = espy_api_details_to_json (details);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    print_details (details);
  fflush (stdout);
  return EXIT_OK;
}

/* --- logs -------------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  gboolean colour;
  gboolean ever_connected;
  GError *error;
  int exit_code;
} Follow;

static void
on_line (EspyLogSession *session,
         EspyLogLine    *line,
         const char     *raw,
         Follow         *f)
{
  if (f->colour)
    {
      /* The device's own bytes, reset at the end so a cut line does not
       * colour the terminal. */
      fputs (raw, stdout);
      fputs ("\033[0m\n", stdout);
    }
  else
    {
      g_autoptr(GString) out = g_string_new (NULL);

      if (line->tag != NULL)
        {
          g_string_append_printf (out, "[%s][%s:%03u]", espy_log_level_to_letter (line->level), line->tag,
                                  line->line);
          if (line->task != NULL)
            g_string_append_printf (out, "[%s]", line->task);
          g_string_append (out, ": ");
        }
      g_string_append (out, line->text);
      g_string_append_c (out, '\n');
      fputs (out->str, stdout);
    }
  fflush (stdout);
}

static void
on_state (EspyLogSession *session,
          GParamSpec     *pspec,
          Follow         *f)
{
  EspyLogSessionState state = espy_log_session_get_state (session);
  const GError *error = espy_log_session_get_error (session);

  switch (state)
    {
    case ESPY_LOG_SESSION_STATE_STREAMING:
      f->ever_connected = TRUE;
      return;

    case ESPY_LOG_SESSION_STATE_RECONNECTING:
      /* A device that never answered is an error; one that went away
       * (a reboot) is followed back. */
      if (!f->ever_connected && error != NULL)
        break;
      if (error != NULL)
        fprintf (stderr, "espy-cli: %s %s\n", error->message, _("Reconnecting…"));
      return;

    case ESPY_LOG_SESSION_STATE_KEY_NEEDED:
      /* The session would ask; a script is told how to give the key. */
      f->error = g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_KEY_REQUIRED, "%s %s",
                              error != NULL ? error->message : _("The device uses encryption."),
                              _("Pass its API key with --key-file FILE."));
      f->exit_code = EXIT_AUTH;
      g_main_loop_quit (f->loop);
      return;

    case ESPY_LOG_SESSION_STATE_FAILED:
      break;

    case ESPY_LOG_SESSION_STATE_IDLE:
    case ESPY_LOG_SESSION_STATE_CONNECTING:
    case ESPY_LOG_SESSION_STATE_PAUSED:
    default:
      return;
    }

  f->error = error != NULL ? g_error_copy (error)
                           : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, _("The log stream failed."));
  f->exit_code = api_exit_code (f->error);
  g_main_loop_quit (f->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  Follow *f = user_data;

  /* Ctrl+C is how one stops following: not a failure. */
  g_main_loop_quit (f->loop);
  return G_SOURCE_REMOVE;
}

int
cmd_logs (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *level_name = NULL;
  char *key = NULL;
  gboolean dump_config = FALSE;
  gboolean no_color = FALSE;
  double duration = 0;
  int port = ESPY_API_DEFAULT_PORT;
  int timeout_ms = 0;
  EspyLogLevel level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  Follow f = { 0 };
  guint sigint_id, duration_id = 0;
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Native API port (default 6053)"), N_("N") },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      N_("Read the API encryption key (base64, as in the YAML) from FILE"), N_("FILE") },
    { "level", 0, 0, G_OPTION_ARG_STRING, &level_name,
      N_("Show lines up to LEVEL: error, warn, info, config, debug, verbose, very_verbose (default)"),
      N_("LEVEL") },
    { "dump-config", 0, 0, G_OPTION_ARG_NONE, &dump_config,
      N_("Ask the device to log its configuration first"), NULL },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration,
      N_("Stop after SECONDS (default: follow until Ctrl+C)"), N_("SECONDS") },
    { "no-color", 0, 0, G_OPTION_ARG_NONE, &no_color, N_("Print without colours"), NULL },
    { "timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &timeout_ms, "Connect timeout", "MS" },
    { NULL }
  };

  g_set_prgname ("espy-cli logs");
  context = g_option_context_new (_("HOST"));
  g_option_context_set_summary (context, _("Follows the logs of the ESPHome device at HOST over the native "
                                           "API, through reboots, until Ctrl+C or --duration."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli logs --help”"));
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("logs needs HOST; see “espy-cli logs --help”"));
      return EXIT_USAGE;
    }
  if (!check_port (port) || timeout_ms < 0)
    return EXIT_USAGE;
  if (duration < 0)
    {
      print_error (_("--duration must not be negative"));
      return EXIT_USAGE;
    }
  if (level_name != NULL &&
      (!espy_log_level_from_string (level_name, &level) || level == ESPY_LOG_LEVEL_NONE))
    {
      print_errorf (_("unknown log level “%s”; use error, warn, info, config, debug, verbose or very_verbose"),
                    level_name);
      return EXIT_USAGE;
    }

  session = espy_log_session_new (argv[1], argv[1], (guint16) port);
  /* A script gives the key it means; the keyring is the app's. */
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_level (session, level);
  espy_log_session_set_dump_config (session, dump_config);
  if (timeout_ms > 0)
    espy_log_session_set_timeouts (session, (guint) timeout_ms, 0, 0, 0);
  if (key_file != NULL)
    {
      key = read_key_file (key_file, &error);
      if (key == NULL)
        return report_failure (OUTPUT_PLAIN, error, "key-file", EXIT_BAD_INPUT);
      espy_log_session_set_key (session, key, &error);
      secret_free (key);
      if (error != NULL)
        return report_failure (OUTPUT_PLAIN, error, "key-file", EXIT_BAD_INPUT);
    }

  loop = g_main_loop_new (NULL, FALSE);
  f.loop = loop;
  f.colour = !no_color && isatty (STDOUT_FILENO);
  f.exit_code = EXIT_OK;
  g_signal_connect (session, "line", G_CALLBACK (on_line), &f);
  g_signal_connect (session, "notify::state", G_CALLBACK (on_state), &f);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &f);
  if (duration > 0)
    duration_id = g_timeout_add ((guint) (duration * 1000), quit_cb, loop);

  espy_log_session_start (session);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  /* The duration source removed itself if it is what ended the loop. */
  if (duration_id != 0 && g_main_context_find_source_by_id (NULL, duration_id) != NULL)
    g_source_remove (duration_id);
  g_signal_handlers_disconnect_by_data (session, &f);
  espy_log_session_stop (session);

  if (f.error != NULL)
    {
      print_error (f.error->message);
      g_clear_error (&f.error);
      return f.exit_code;
    }
  return EXIT_OK;
}
