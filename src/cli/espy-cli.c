/* espy-cli.c: the Espy core from a terminal or a script.
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

/* Exit codes: distinct per class of failure, so scripts can react. */
enum {
  EXIT_OK = 0,
  EXIT_DEVICE = 1,     /* the device refused or reported an error */
  EXIT_USAGE = 2,
  EXIT_BAD_INPUT = 3,  /* image or password file */
  EXIT_NETWORK = 4,
  EXIT_AUTH = 5,
  EXIT_CANCELLED = 130,
};

#define EXIT_CODES_HELP \
  N_("Exit status:\n" \
     "  0    the upload succeeded; the device is rebooting into the new firmware\n" \
     "  1    the device refused the update or reported an error\n" \
     "  2    usage error (unknown option, missing argument)\n" \
     "  3    bad input: the firmware file or the password file\n" \
     "  4    network: name not found, connection refused, unreachable, timeout, closed\n" \
     "  5    authentication: password required, rejected, or SHA256 required\n" \
     "  130  cancelled (Ctrl+C)")

/* Progress output is rate-limited: a line per 64 KiB or per 100 ms. */
#define PROGRESS_MIN_BYTES (64 * 1024)
#define PROGRESS_MIN_US    (100 * 1000)
#define BAR_WIDTH          30

/* Prints "espy-cli: MESSAGE" on one line on stderr. */
static void
print_error (const char *message)
{
  g_autofree char *line = g_strdup (message);

  /* The contract is one line: flatten any multi-line message. */
  g_strdelimit (line, "\r\n", ' ');
  fprintf (stderr, "espy-cli: %s\n", line);
}

G_GNUC_PRINTF (1, 2)
static void
print_errorf (const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  print_error (message);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  /* One object per line, flushed: readers follow it live through a pipe. */
  printf ("%s\n", text);
  fflush (stdout);
}

/* --- upload ---------------------------------------------------------------- */

typedef enum {
  OUTPUT_PLAIN,
  OUTPUT_TTY,
  OUTPUT_JSON,
} OutputMode;

typedef struct {
  OutputMode     mode;
  GMainLoop     *loop;
  GCancellable  *cancellable;
  EspyOtaClient *client;
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
      double rate = espy_ota_client_get_rate (up->client);

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

static int
exit_code_for_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_CANCELLED;
  if (error->domain == ESPY_FIRMWARE_ERROR)
    return EXIT_BAD_INPUT;
  if (error->domain != ESPY_OTA_ERROR)
    return EXIT_DEVICE;

  switch ((EspyOtaError) error->code)
    {
    case ESPY_OTA_ERROR_RESOLVE:
    case ESPY_OTA_ERROR_CONNECTION_REFUSED:
    case ESPY_OTA_ERROR_UNREACHABLE:
    case ESPY_OTA_ERROR_TIMEOUT:
    case ESPY_OTA_ERROR_CLOSED:
    case ESPY_OTA_ERROR_NETWORK:
      return EXIT_NETWORK;

    case ESPY_OTA_ERROR_PASSWORD_REJECTED:
    case ESPY_OTA_ERROR_PASSWORD_REQUIRED:
    case ESPY_OTA_ERROR_SHA256_REQUIRED:
      return EXIT_AUTH;

    case ESPY_OTA_ERROR_WRONG_MAGIC:
    case ESPY_OTA_ERROR_PREPARE_FAILED:
    case ESPY_OTA_ERROR_WRITE_FAILED:
    case ESPY_OTA_ERROR_END_FAILED:
    case ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING:
    case ESPY_OTA_ERROR_WRONG_CURRENT_FLASH_CONFIG:
    case ESPY_OTA_ERROR_WRONG_NEW_FLASH_CONFIG:
    case ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE:
    case ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE:
    case ESPY_OTA_ERROR_NO_UPDATE_PARTITION:
    case ESPY_OTA_ERROR_MD5_MISMATCH:
    case ESPY_OTA_ERROR_RP2040_NOT_ENOUGH_SPACE:
    case ESPY_OTA_ERROR_SIGNATURE_INVALID:
    case ESPY_OTA_ERROR_UNSUPPORTED_OTA_TYPE:
    case ESPY_OTA_ERROR_PARTITION_TABLE_VERIFY:
    case ESPY_OTA_ERROR_PARTITION_TABLE_UPDATE:
    case ESPY_OTA_ERROR_BOOTLOADER_VERIFY:
    case ESPY_OTA_ERROR_BOOTLOADER_UPDATE:
    case ESPY_OTA_ERROR_DOWNGRADE_REFUSED:
    case ESPY_OTA_ERROR_ENCRYPTION_REQUIRED:
    case ESPY_OTA_ERROR_DEVICE_UNKNOWN:
    case ESPY_OTA_ERROR_UNEXPECTED_RESPONSE:
    case ESPY_OTA_ERROR_UNSUPPORTED_VERSION:
    default:
      return EXIT_DEVICE;
    }
}

/* The --json "code" of a failure. */
static const char *
code_for_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (error->domain == ESPY_OTA_ERROR)
    return espy_ota_error_to_nick (error->code);
  if (error->domain == ESPY_FIRMWARE_ERROR)
    {
      switch ((EspyFirmwareError) error->code)
        {
        case ESPY_FIRMWARE_ERROR_READ: return "firmware-read";
        case ESPY_FIRMWARE_ERROR_EMPTY: return "firmware-empty";
        case ESPY_FIRMWARE_ERROR_TOO_LARGE: return "firmware-too-large";
        case ESPY_FIRMWARE_ERROR_NOT_FIRMWARE: return "firmware-not-firmware";
        case ESPY_FIRMWARE_ERROR_FACTORY_IMAGE: return "firmware-factory-image";
        case ESPY_FIRMWARE_ERROR_COMPRESS: return "firmware-compress";
        default: return "firmware";
        }
    }
  return "error";
}

/* Reports a failure in every output mode and returns the exit code. */
static int
report_failure (OutputMode    mode,
                const GError *error,
                const char   *json_code,
                int           exit_code)
{
  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                        ? _("cancelled") : error->message);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, json_code != NULL ? json_code : code_for_error (error));
      json_builder_end_object (b);
      print_json (b);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    print_error (_("cancelled"));
  else
    print_error (error->message);

  return exit_code >= 0 ? exit_code : exit_code_for_error (error);
}

/* Passwords on the command line are visible to every user (ps, /proc). */
static gboolean
argv_has_password (int    argc,
                   char **argv)
{
  static const char * const forbidden[] = { "--password", "--web-password" };

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      for (guint j = 0; j < G_N_ELEMENTS (forbidden); j++)
        {
          gsize len = strlen (forbidden[j]);

          if (strncmp (argv[i], forbidden[j], len) == 0 && (argv[i][len] == '\0' || argv[i][len] == '='))
            return TRUE;
        }
    }
  return FALSE;
}

/* Reads a password file: its content minus one trailing newline. */
static char *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not read the password file: %s"), local_error->message);
      return NULL;
    }
  if (len > 0 && contents[len - 1] == '\n')
    {
      contents[--len] = '\0';
      if (len > 0 && contents[len - 1] == '\r')
        contents[--len] = '\0';
    }
  if (strlen (contents) != len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The password file “%s” contains a NUL byte."), path);
      explicit_bzero (contents, len);
      g_free (contents);
      return NULL;
    }
  return contents;
}

static void
secret_free (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

static int
cmd_upload (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyOtaClient) client = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *via = NULL;
  g_autofree char *web_user = NULL;
  g_autofree char *web_password_file = NULL;
  g_autofree char *summary = NULL;
  char *password = NULL;
  gboolean json = FALSE;
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
                               "over the native OTA protocol. The image is checked before anything is sent.\n"
                               "The OTA password comes from --password-file or the ESPY_PASSWORD environment "
                               "variable, never from the command line."));
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
  if (via != NULL && g_str_equal (via, "web"))
    {
      print_error (_("uploading through the web server is not available yet; use --via ota"));
      return EXIT_USAGE;
    }
  if (via != NULL && !g_str_equal (via, "ota"))
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
  if (password_file != NULL)
    {
      password = read_password_file (password_file, &error);
      if (password == NULL)
        return report_failure (mode, error, "password-file", EXIT_BAD_INPUT);
    }
  else if (g_getenv ("ESPY_PASSWORD") != NULL)
    password = g_strdup (g_getenv ("ESPY_PASSWORD"));

  file = g_file_new_for_commandline_arg (path);
  image = espy_firmware_image_load (file, NULL, &error);
  if (image == NULL)
    {
      secret_free (password);
      return report_failure (mode, error, NULL, EXIT_BAD_INPUT);
    }

  client = espy_ota_client_new (host, (guint16) port);
  espy_ota_client_set_password (client, password);
  secret_free (password);
  password = NULL;
  espy_ota_client_set_window (client, (guint) window);
  espy_ota_client_set_timeouts (client, (guint) handshake_timeout_ms, (guint) data_timeout_ms);
  espy_ota_client_set_retries (client, (guint) retries, (guint) retry_delay_ms);

  if (mode != OUTPUT_JSON)
    {
      g_autofree char *size = g_format_size (espy_firmware_image_get_size (image));

      printf (_("Installing %s (%s, MD5 %s) on %s port %d\n"),
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

  g_signal_connect (client, "stage-changed", G_CALLBACK (on_stage_changed), &up);
  g_signal_connect (client, "progress", G_CALLBACK (on_progress), &up);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &up);

  started_us = g_get_monotonic_time ();
  espy_ota_client_upload_async (client, image, cancellable, on_upload_done, &up);
  while (!up.done)
    g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_signal_handlers_disconnect_by_data (client, &up);
  flush_progress (&up);
  if (mode == OUTPUT_TTY)
    tty_close_line (&up);

  if (!up.ok)
    {
      ret = report_failure (mode, up.error, NULL, -1);
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

/* --- dispatch --------------------------------------------------------------- */

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
  const char *summary;
} Command;

static const Command commands[] = {
  { "upload", cmd_upload, "upload HOST FIRMWARE [--port N] [--password-file F] [--via ota|web] [--json]",
    N_("Install firmware over the air") },
  { "discover", NULL, "discover [--timeout SECONDS] [--json]",
    N_("List the ESPHome devices on the network") },
  { "info", NULL, "info HOST [--port N] [--key-file F] [--json]",
    N_("Show a device's information") },
  { "logs", NULL, "logs HOST [--port N] [--key-file F] [--level LEVEL] [--duration SECONDS]",
    N_("Follow a device's logs") },
  { "check", NULL, "check HOST [--port N] [--password-file F]",
    N_("Check the OTA password without uploading") },
  { "doctor", NULL, "doctor HOST [--json]",
    N_("Find out why updates to a device fail") },
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
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
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
