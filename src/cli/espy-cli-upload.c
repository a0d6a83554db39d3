/* espy-cli-upload.c: `espy-cli upload` and `espy-cli check`.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-ota-protocol.h"
#include "espy-web-ota-client.h"

#include "espy-cli-common.h"

/* Progress output is rate-limited: a line per 64 KiB or per 100 ms. */
#define PROGRESS_MIN_BYTES (64 * 1024)
#define PROGRESS_MIN_US    (100 * 1000)
#define BAR_WIDTH          30

/* --- upload ---------------------------------------------------------------- */


typedef struct {
  OutputMode     mode;
  GMainLoop     *loop;
  GCancellable  *cancellable;
  EspyOtaClient *client;      /* NULL for --via web */
  gboolean       done;
  gboolean       ok;
  GError        *error;

  EspyOtaStage   stage;
  /* Latest progress, and what was last printed of it. */
  guint64        sent;
  guint64        acked;
  guint64        total;
  gboolean       have_progress;
  guint64        printed_sent;
  guint64        printed_acked;
  gint64         printed_us;
  gint64         upload_started_us;
  gboolean       tty_line_open;
} Upload;

static void
json_progress (guint64 sent,
               guint64 acked,
               guint64 total)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "progress");
  json_builder_set_member_name (b, "sent");
  json_builder_add_int_value (b, (gint64) sent);
  json_builder_set_member_name (b, "acked");
  json_builder_add_int_value (b, (gint64) acked);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, (gint64) total);
  json_builder_end_object (b);
  print_json (b);
}

static char *
format_eta (double seconds)
{
  guint s = (guint) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static void
tty_redraw (Upload *up)
{
  const char *what = espy_ota_stage_describe (up->stage);
  g_autoptr(GString) line = g_string_new (NULL);

  if (up->stage == ESPY_OTA_STAGE_UPLOAD && up->total > 0)
    {
      double fraction = (double) up->acked / (double) up->total;
      guint filled = (guint) (fraction * BAR_WIDTH);
      double rate = up->client != NULL ? espy_ota_client_get_rate (up->client) : 0.0;

      if (rate <= 0 && up->upload_started_us > 0)
        {
          double elapsed = (g_get_monotonic_time () - up->upload_started_us) / (double) G_USEC_PER_SEC;

          if (elapsed > 0)
            rate = up->acked / elapsed;
        }

      g_string_append_printf (line, "%-12s [", what);
      for (guint i = 0; i < BAR_WIDTH; i++)
        g_string_append_c (line, i < filled ? '#' : '-');
      g_string_append_printf (line, "] %3u%%", (guint) (fraction * 100));
      if (rate > 0)
        {
          g_autofree char *eta = format_eta ((up->total - up->acked) / rate);

          /* TRANSLATORS: upload speed and estimated time left */
          g_string_append_printf (line, _("  %.1f KiB/s  ETA %s"), rate / 1024.0, eta);
        }
    }
  else
    g_string_append_printf (line, "%s…", what);

  /* \r and erase-line: the bar is redrawn in place. */
  printf ("\r\033[K%s", line->str);
  fflush (stdout);
  up->tty_line_open = TRUE;
}

static void
tty_close_line (Upload *up)
{
  if (up->tty_line_open)
    {
      printf ("\n");
      fflush (stdout);
      up->tty_line_open = FALSE;
    }
}

/* Prints the latest progress now (rate limit or not), unless it already was. */
static void
flush_progress (Upload *up)
{
  if (!up->have_progress)
    return;
  if (up->printed_us != 0 && up->printed_sent == up->sent && up->printed_acked == up->acked)
    return;

  up->printed_sent = up->sent;
  up->printed_acked = up->acked;
  up->printed_us = g_get_monotonic_time ();

  switch (up->mode)
    {
    case OUTPUT_JSON:
      json_progress (up->sent, up->acked, up->total);
      break;
    case OUTPUT_TTY:
      tty_redraw (up);
      break;
    case OUTPUT_PLAIN:
    default:
      break;
    }
}

static void
on_stage_changed (EspyOtaClient *client,
                  guint          stage,
                  gpointer       user_data)
{
  Upload *up = user_data;

  /* Whatever progress is pending belongs to the stage that ends now. */
  if (up->stage == ESPY_OTA_STAGE_UPLOAD)
    flush_progress (up);

  up->stage = stage;
  if (stage == ESPY_OTA_STAGE_UPLOAD)
    up->upload_started_us = g_get_monotonic_time ();

  /* IDLE and DONE are not stages of the contract; the result line ends it. */
  if (stage == ESPY_OTA_STAGE_IDLE || stage == ESPY_OTA_STAGE_DONE)
    return;

  switch (up->mode)
    {
    case OUTPUT_JSON:
      {
        g_autoptr(JsonBuilder) b = json_builder_new ();

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "event");
        json_builder_add_string_value (b, "stage");
        json_builder_set_member_name (b, "stage");
        json_builder_add_string_value (b, espy_ota_stage_to_nick (stage));
        json_builder_end_object (b);
        print_json (b);
      }
      break;
    case OUTPUT_TTY:
      tty_redraw (up);
      break;
    case OUTPUT_PLAIN:
    default:
      printf ("%s\n", espy_ota_stage_describe (stage));
      fflush (stdout);
      break;
    }
}

static void
on_progress (EspyOtaClient *client,
             guint64        sent,
             guint64        acked,
             guint64        total,
             gpointer       user_data)
{
  Upload *up = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean final = total > 0 && acked == total && sent == total;

  up->sent = sent;
  up->acked = acked;
  up->total = total;
  up->have_progress = TRUE;

  if (final || up->printed_us == 0 ||
      sent - up->printed_sent >= PROGRESS_MIN_BYTES ||
      acked - up->printed_acked >= PROGRESS_MIN_BYTES ||
      now - up->printed_us >= PROGRESS_MIN_US)
    flush_progress (up);
}

/* The web server has no acks: what was written is what it took. */
static void
on_web_progress (EspyWebOtaClient *client,
                 guint64           sent,
                 guint64           total,
                 gpointer          user_data)
{
  on_progress (NULL, sent, sent, total, user_data);
}

static void
on_web_upload_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Upload *up = user_data;

  up->ok = espy_web_ota_client_upload_finish (ESPY_WEB_OTA_CLIENT (source), result, &up->error);
  up->done = TRUE;
  g_main_loop_quit (up->loop);
}

static void
on_upload_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Upload *up = user_data;

  up->ok = espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, &up->error);
  up->done = TRUE;
  g_main_loop_quit (up->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  Upload *up = user_data;

  /* The client closes the socket and finishes with G_IO_ERROR_CANCELLED. */
  g_cancellable_cancel (up->cancellable);
  return G_SOURCE_CONTINUE;
}

int
cmd_upload (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyOtaClient) client = NULL;
  g_autoptr(EspyWebOtaClient) web_client = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *via = NULL;
  g_autofree char *web_user = NULL;
  g_autofree char *web_password_file = NULL;
  g_autofree char *summary = NULL;
  char *password = NULL;
  char *web_password = NULL;
  gboolean json = FALSE;
  gboolean web = FALSE;
  int port = 3232;
  int web_port = 80;
  int window = ESPY_OTA_DEFAULT_WINDOW;
  int handshake_timeout_ms = ESPY_OTA_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  int data_timeout_ms = ESPY_OTA_DEFAULT_DATA_TIMEOUT_MS;
  int retries = ESPY_OTA_DEFAULT_RETRIES;
  int retry_delay_ms = ESPY_OTA_DEFAULT_RETRY_DELAY_MS;
  const char *host;
  const char *path;
  OutputMode mode;
  Upload up = { 0 };
  guint sigint_id;
  gint64 started_us;
  int ret;
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_("OTA port (default 3232; ESP8266 8266, RP2040 2040, BK72xx 8892)"), N_("N") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the OTA password from FILE (else from $ESPY_PASSWORD)"), N_("FILE") },
    { "via", 0, 0, G_OPTION_ARG_STRING, &via,
      N_("Upload through the native OTA (ota, default) or the web server (web)"), N_("ota|web") },
    { "web-port", 0, 0, G_OPTION_ARG_INT, &web_port,
      N_("Web server port for --via web (default 80)"), N_("N") },
    { "web-user", 0, 0, G_OPTION_ARG_STRING, &web_user,
      N_("Web server user for --via web"), N_("USER") },
    { "web-password-file", 0, 0, G_OPTION_ARG_FILENAME, &web_password_file,
      N_("Read the web server password from FILE"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line: stages, progress and the result"), NULL },
    { "window", 0, 0, G_OPTION_ARG_INT, &window,
      N_("Data blocks in flight (1 = stop-and-wait like the ESPHome tools; default 16)"), N_("N") },
    /* For tests and slow links; not part of the contract. */
    { "handshake-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &handshake_timeout_ms,
      "Timeout for connect and handshake", "MS" },
    { "data-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &data_timeout_ms,
      "Timeout per read from the size step on", "MS" },
    { "retries", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &retries,
      "Retries on network errors", "N" },
    { "retry-delay-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &retry_delay_ms,
      "Delay between retries", "MS" },
    { NULL }
  };

  if (argv_has_password (argc, argv))
    {
      print_error (_("passwords are not accepted on the command line, where other users can see them; "
                     "use --password-file FILE or the ESPY_PASSWORD environment variable"));
      return EXIT_USAGE;
    }

  /* GOptionContext names the program in its usage line. */
  g_set_prgname ("espy-cli upload");
  context = g_option_context_new (_("HOST FIRMWARE"));
  summary = g_strdup_printf (_("Installs FIRMWARE (firmware.bin or firmware.ota.bin) on the ESPHome device at HOST "
                               "over the native OTA protocol, or with --via web through the device’s web server "
                               "(POST /update). The image is checked before anything is sent.\n"
                               "The OTA password comes from --password-file or the ESPY_PASSWORD environment "
                               "variable, the web server password from --web-password-file; never from the "
                               "command line."));
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _(EXIT_CODES_HELP));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli upload --help”"));
      return EXIT_USAGE;
    }

  if (argc != 3)
    {
      print_error (argc < 3 ? _("upload needs HOST and FIRMWARE; see “espy-cli upload --help”")
                            : _("too many arguments; see “espy-cli upload --help”"));
      return EXIT_USAGE;
    }
  host = argv[1];
  path = argv[2];

  if (port < 1 || port > 65535)
    {
      print_errorf (_("--port must be between 1 and 65535, not %d"), port);
      return EXIT_USAGE;
    }
  if (window < 1 || window > 1024)
    {
      print_errorf (_("--window must be between 1 and 1024, not %d"), window);
      return EXIT_USAGE;
    }
  if (handshake_timeout_ms < 1 || data_timeout_ms < 1 || retries < 0 || retry_delay_ms < 0)
    {
      print_error (_("timeouts must be positive and retries not negative"));
      return EXIT_USAGE;
    }
  web = via != NULL && g_str_equal (via, "web");
  if (web_port < 1 || web_port > 65535)
    {
      print_errorf (_("--web-port must be between 1 and 65535, not %d"), web_port);
      return EXIT_USAGE;
    }
  if (web_password_file != NULL && web_user == NULL)
    {
      print_error (_("--web-password-file needs --web-user"));
      return EXIT_USAGE;
    }
  if (via != NULL && !web && !g_str_equal (via, "ota"))
    {
      print_errorf (_("--via must be “ota” or “web”, not “%s”"), via);
      return EXIT_USAGE;
    }

  if (json)
    mode = OUTPUT_JSON;
  else if (isatty (STDOUT_FILENO))
    mode = OUTPUT_TTY;
  else
    mode = OUTPUT_PLAIN;

  /* Bad input changes nothing: read and check everything before connecting. */
  password = read_password (password_file, &error);
  if (error != NULL)
    return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);

  if (web && web_password_file != NULL)
    {
      web_password = read_password_file (web_password_file, &error);
      if (web_password == NULL)
        {
          secret_free (password);
          return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);
        }
    }

  file = g_file_new_for_commandline_arg (path);
  image = espy_firmware_image_load (file, NULL, &error);
  if (image == NULL)
    {
      secret_free (password);
      secret_free (web_password);
      return report_failure (mode, error, NULL, EXIT_BAD_INPUT);
    }

  if (web)
    {
      /* The web server knows no OTA password: only its own credentials. */
      secret_free (password);
      password = NULL;
      web_client = espy_web_ota_client_new (host, (guint16) web_port);
      espy_web_ota_client_set_credentials (web_client, web_user, web_password != NULL ? web_password : "");
      secret_free (web_password);
      web_password = NULL;
      espy_web_ota_client_set_filename (web_client, espy_firmware_image_get_name (image));
      espy_web_ota_client_set_timeouts (web_client, (guint) handshake_timeout_ms,
                                        (guint) MAX (data_timeout_ms, ESPY_WEB_OTA_DEFAULT_READ_TIMEOUT_MS));
      port = web_port;
    }
  else
    {

  client = espy_ota_client_new (host, (guint16) port);
  espy_ota_client_set_password (client, password);
  secret_free (password);
  password = NULL;
  espy_ota_client_set_window (client, (guint) window);
  espy_ota_client_set_timeouts (client, (guint) handshake_timeout_ms, (guint) data_timeout_ms);
  espy_ota_client_set_retries (client, (guint) retries, (guint) retry_delay_ms);
    }

  if (mode != OUTPUT_JSON)
    {
      g_autofree char *size = g_format_size (espy_firmware_image_get_size (image));

      printf (web ? _("Installing %s (%s, MD5 %s) through the web server of %s port %d\n")
                  : _("Installing %s (%s, MD5 %s) on %s port %d\n"),
              espy_firmware_image_get_name (image), size, espy_firmware_image_get_md5 (image), host, port);
      fflush (stdout);
    }

  cancellable = g_cancellable_new ();
  loop = g_main_loop_new (NULL, FALSE);
  up.mode = mode;
  up.loop = loop;
  up.cancellable = cancellable;
  up.client = client;
  up.stage = ESPY_OTA_STAGE_IDLE;

  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &up);
  started_us = g_get_monotonic_time ();
  if (web)
    {
      g_signal_connect (web_client, "stage-changed", G_CALLBACK (on_stage_changed), &up);
      g_signal_connect (web_client, "progress", G_CALLBACK (on_web_progress), &up);
      espy_web_ota_client_upload_async (web_client, image, cancellable, on_web_upload_done, &up);
    }
  else
    {
      g_signal_connect (client, "stage-changed", G_CALLBACK (on_stage_changed), &up);
      g_signal_connect (client, "progress", G_CALLBACK (on_progress), &up);
      espy_ota_client_upload_async (client, image, cancellable, on_upload_done, &up);
    }
  while (!up.done)
    g_main_loop_run (loop);

  g_source_remove (sigint_id);
  if (client != NULL)
    g_signal_handlers_disconnect_by_data (client, &up);
  if (web_client != NULL)
    g_signal_handlers_disconnect_by_data (web_client, &up);
  flush_progress (&up);
  if (mode == OUTPUT_TTY)
    tty_close_line (&up);

  if (!up.ok)
    {
      ret = report_failure (mode, up.error, install_error_code (up.error), install_exit_code (up.error));
      g_clear_error (&up.error);
      return ret;
    }

  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    {
      double seconds = (g_get_monotonic_time () - started_us) / (double) G_USEC_PER_SEC;

      printf (_("Done in %.1f s: the device is rebooting into the new firmware.\n"), seconds);
      fflush (stdout);
    }
  return EXIT_OK;
}


/* --- check ------------------------------------------------------------------ */

typedef struct {
  GMainLoop *loop;
  gboolean ok;
  GError *error;
} Check;

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Check *check = user_data;

  check->ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &check->error);
  g_main_loop_quit (check->loop);
}

/* The OTA handshake up to authentication, no upload: "does this password work?" */
int
cmd_check (int    argc,
           char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyOtaClient) client = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *password_file = NULL;
  char *password = NULL;
  gboolean json = FALSE;
  gboolean had_password;
  int port = 3232;
  int handshake_timeout_ms = ESPY_OTA_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  OutputMode mode;
  Check check = { 0 };
  const char *method;
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_("OTA port (default 3232; ESP8266 8266, RP2040 2040, BK72xx 8892)"), N_("N") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the OTA password from FILE (else from $ESPY_PASSWORD)"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print the result as one JSON object"), NULL },
    { "handshake-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &handshake_timeout_ms,
      "Timeout for connect and handshake", "MS" },
    { NULL }
  };

  if (argv_has_password (argc, argv))
    {
      print_error (_("passwords are not accepted on the command line, where other users can see them; "
                     "use --password-file FILE or the ESPY_PASSWORD environment variable"));
      return EXIT_USAGE;
    }

  g_set_prgname ("espy-cli check");
  context = g_option_context_new (_("HOST"));
  g_option_context_set_summary (context, _("Checks the OTA password of the ESPHome device at HOST: the "
                                           "handshake stops after authentication, nothing is uploaded."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli check --help”"));
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("check needs HOST; see “espy-cli check --help”"));
      return EXIT_USAGE;
    }
  if (port < 1 || port > 65535 || handshake_timeout_ms < 1)
    {
      print_errorf (_("--port must be between 1 and 65535, not %d"), port);
      return EXIT_USAGE;
    }
  mode = json ? OUTPUT_JSON : OUTPUT_PLAIN;

  password = read_password (password_file, &error);
  if (error != NULL)
    return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);
  had_password = password != NULL;

  client = espy_ota_client_new (argv[1], (guint16) port);
  espy_ota_client_set_password (client, password);
  secret_free (password);
  espy_ota_client_set_timeouts (client, (guint) handshake_timeout_ms, ESPY_OTA_DEFAULT_DATA_TIMEOUT_MS);
  /* A check answers "now": no retries. */
  espy_ota_client_set_retries (client, 0, 0);

  loop = g_main_loop_new (NULL, FALSE);
  check.loop = loop;
  espy_ota_client_check_async (client, NULL, check_done, &check);
  g_main_loop_run (loop);

  if (!check.ok)
    {
      int ret = report_failure (mode, check.error, NULL, -1);
      g_clear_error (&check.error);
      return ret;
    }

  method = espy_ota_client_get_auth_method (client);
  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "protocol_version");
      json_builder_add_int_value (b, espy_ota_client_get_protocol_version (client));
      json_builder_set_member_name (b, "auth");
      json_builder_add_string_value (b, method != NULL ? method : "none");
      json_builder_end_object (b);
      print_json (b);
    }
  else if (method == NULL)
    printf (_("The device accepts updates without a password%s (OTA protocol version %u).\n"),
            had_password ? _(": the password you gave is not needed") : "",
            espy_ota_client_get_protocol_version (client));
  else
    printf (_("The password works: the device accepted it (%s, OTA protocol version %u).\n"),
            g_str_equal (method, "sha256") ? "SHA256" : "MD5",
            espy_ota_client_get_protocol_version (client));
  return EXIT_OK;
}
