/* espy-sim.c: one or many simulated ESPHome devices on loopback, for
 * tests, demos and benchmarks.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sim-device.h"
#include "espy-sim-publisher.h"
#include "espy-sim-web-server.h"
#include "espy-api-client.h"
#include "espy-ota-protocol.h"
#include "espy-secret-string.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static char *opt_name = NULL;
static char *opt_friendly_name = NULL;
static char *opt_platform = NULL;
static char *opt_board = NULL;
static char *opt_version = NULL;
static char *opt_compilation_time = NULL;
static char *opt_generation = NULL;
static int opt_ota_version = 2;
static int opt_ota_port = -1;
static char *opt_password_file = NULL;
static gint64 opt_flash_rate = 0;
static double opt_boot_seconds = 0.5;
static int opt_erase_ms_per_mib = 0;
static int opt_timeout_scale = 100;
static gint64 opt_max_image_size = 0;
static char **opt_faults = NULL;
static int opt_count = 1;
static int opt_api_port = -1;
static char *opt_api_key = NULL;
static char *opt_api_password_file = NULL;
static int opt_web_port = -1;
static char *opt_web_user = NULL;
static char *opt_web_password_file = NULL;
static char *opt_web_flavour = NULL;
static gboolean opt_no_web_ota = FALSE;
static double opt_log_rate = 0;
static char *opt_mac = NULL;
static gboolean opt_publish = FALSE;
static gboolean opt_verbose = FALSE;

static const GOptionEntry entries[] = {
  { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name,
    "Device name (default espy-sim; with --count N: NAME-1 .. NAME-N)", "NAME" },
  { "friendly-name", 0, 0, G_OPTION_ARG_STRING, &opt_friendly_name,
    "Friendly name", "TEXT" },
  { "platform", 0, 0, G_OPTION_ARG_STRING, &opt_platform,
    "ESP32 (default), ESP8266 (accepts compressed images), RP2040 or BK72XX", "PLATFORM" },
  { "board", 0, 0, G_OPTION_ARG_STRING, &opt_board,
    "Board name (default by platform, e.g. esp32dev)", "BOARD" },
  { "version", 0, 0, G_OPTION_ARG_STRING, &opt_version,
    "ESPHome version the device runs (default 2025.10.3)", "VERSION" },
  { "compilation-time", 0, 0, G_OPTION_ARG_STRING, &opt_compilation_time,
    "Compilation time it reports (default \"Oct 20 2025, 10:00:00\")", "TEXT" },
  { "generation", 0, 0, G_OPTION_ARG_STRING, &opt_generation,
    "OTA auth and timeout rules: 2024.2 (MD5), 2025.10 (SHA256 or MD5, default), "
    "2026.1 (SHA256 only)", "GEN" },
  { "ota-version", 0, 0, G_OPTION_ARG_INT, &opt_ota_version,
    "OTA protocol version: 2 (acks every 8192 bytes, default) or 1 (no acks)", "1|2" },
  { "ota-port", 0, 0, G_OPTION_ARG_INT, &opt_ota_port,
    "OTA port on 127.0.0.1 and ::1 (default: the platform's, e.g. 3232; 0 = any free port)", "PORT" },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_password_file,
    "Read the OTA password from FILE (one trailing newline is stripped; empty = no password)", "FILE" },
  { "flash-rate", 0, 0, G_OPTION_ARG_INT64, &opt_flash_rate,
    "Bytes per second the flash accepts (default 0 = unlimited)", "BYTES_PER_S" },
  { "boot-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_boot_seconds,
    "Seconds the device is away rebooting after an update (default 0.5)", "SECONDS" },
  { "erase-ms-per-mib", 0, 0, G_OPTION_ARG_INT, &opt_erase_ms_per_mib,
    "Flash erase time at prepare, per MiB of image (default 0)", "MS" },
  { "timeout-scale", 0, 0, G_OPTION_ARG_INT, &opt_timeout_scale,
    "Scale the device's own timeouts (1 s, 20 s, 90 s) by PERCENT (default 100)", "PERCENT" },
  { "max-image-size", 0, 0, G_OPTION_ARG_INT64, &opt_max_image_size,
    "Largest image the OTA partition takes; bigger ones get the platform's "
    "not-enough-space code (default 0 = no limit)", "BYTES" },
  { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_faults,
    "Inject a fault on every session (repeatable; see below)", "STEP:KIND" },
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count,
    "Run N devices (ports PORT+0 .. PORT+N-1, or free ports with --ota-port 0)", "N" },
  { "api-port", 0, 0, G_OPTION_ARG_INT, &opt_api_port,
    "Run the native API on PORT (0 = any free port; default: no API, or 6053 with --api-key)", "PORT" },
  { "api-key", 0, 0, G_OPTION_ARG_STRING, &opt_api_key,
    "Encrypt the native API with this Noise PSK (base64 of 32 bytes, as in api: encryption: key:)", "KEY" },
  { "api-password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_api_password_file,
    "Legacy API password (api: password:) from FILE; 2026.1 ignores it", "FILE" },
  { "web-port", 0, 0, G_OPTION_ARG_INT, &opt_web_port,
    "Run the web server (/update, /events) on PORT (0 = any free port; default: none)", "PORT" },
  { "web-user", 0, 0, G_OPTION_ARG_STRING, &opt_web_user,
    "web_server auth user (needs --web-password-file)", "USER" },
  { "web-password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_web_password_file,
    "web_server auth password from FILE", "FILE" },
  { "web-flavour", 0, 0, G_OPTION_ARG_STRING, &opt_web_flavour,
    "Web server stack: arduino (Basic or Digest auth, default) or esp-idf (Basic only)", "FLAVOUR" },
  { "no-web-ota", 0, 0, G_OPTION_ARG_NONE, &opt_no_web_ota,
    "No OTA through the web server: /update answers 404", NULL },
  { "log-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_log_rate,
    "Made-up log lines per second to API clients and /events (default 0 = none)", "LINES_PER_S" },
  { "mac", 0, 0, G_OPTION_ARG_STRING, &opt_mac,
    "MAC address, e.g. AC:BC:32:89:0E:A9 (default: derived from the name; "
    "with --count N the last digits count up)", "MAC" },
  { "publish", 0, 0, G_OPTION_ARG_NONE, &opt_publish,
    "Announce each device over mDNS (Avahi) like a real one: _esphomelib._tcp with the TXT keys of its generation", NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Report state changes and uploads on stderr", NULL },
  { NULL }
};

static const char description[] =
  "On start, one line per device goes to stdout, with the services it runs:\n"
  "  espy-sim: NAME ota=127.0.0.1:PORT api=127.0.0.1:PORT web=127.0.0.1:PORT\n"
  "Then it runs until SIGINT or SIGTERM.\n"
  "\n"
  "Faults (--fault STEP:KIND) replace the device's answer at STEP on every session:\n"
  "  STEP  magic     instead of 00 + version\n"
  "        features  instead of the feature answer (0x40/0x46)\n"
  "        auth      instead of 0x41 (no password) or the auth result (password)\n"
  "        prepare   instead of 0x42 after the size\n"
  "        md5       instead of 0x43\n"
  "        data      instead of the ack of the middle block, ceil(blocks/2)\n"
  "        receive   instead of 0x44\n"
  "        end       instead of 0x45\n"
  "  KIND  close     close without a byte\n"
  "        error:0xNN (or error:NN) send that byte, then close\n"
  "        stall     send and read nothing; keep the socket open until the client closes\n"
  "        garbage   send 0x5A (valid nowhere), then close\n"
  "  Example: --fault md5:error:0x83 --fault end:close\n"
  "\n"
  "Image marker: after a successful upload the device reboots and reports the version\n"
  "and compilation time found in the (decompressed) image as the text\n"
  "  ESPY-SIM-FW:version=<esphome version>;compilation_time=<text>;\\n\n"
  "anywhere in it (compilation_time is optional). Without a marker it keeps its version\n"
  "and gets a fresh compilation time such as \"Nov 25 2026, 16:40:12\".\n"
  "A second marker sets the OTA password the new firmware expects:\n"
  "  ESPY-SIM-OTA:password_hex=<hex of the password>;  or  ESPY-SIM-OTA:password=none;\n"
  "\n"
  "Native API: plaintext, or Noise with --api-key; the reject frames, keep-alive\n"
  "(ping after 60 s of silence, drop after 150 s; scaled by --timeout-scale) and\n"
  "client limit (ESP32 8, others 4) of the chosen generation. Before the reboot that\n"
  "follows an upload, API clients get DisconnectRequest.\n"
  "\n"
  "Passwords are read only from files, never from the command line.";

static GMainLoop *loop;

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static const char *
state_name (EspySimState state)
{
  switch (state)
    {
    case ESPY_SIM_STATE_RUNNING:
      return "running";
    case ESPY_SIM_STATE_UPDATING:
      return "updating";
    case ESPY_SIM_STATE_REBOOTING:
      return "rebooting";
    case ESPY_SIM_STATE_STOPPED:
      return "stopped";
    default:
      return "?";
    }
}

static void
on_state_changed (EspySimDevice *device,
                  guint          state,
                  gpointer       user_data)
{
  if (state == ESPY_SIM_STATE_RUNNING)
    g_printerr ("espy-sim: %s running %s (%s)\n", espy_sim_device_get_name (device),
                espy_sim_device_get_version (device), espy_sim_device_get_compilation_time (device));
  else
    g_printerr ("espy-sim: %s %s\n", espy_sim_device_get_name (device), state_name (state));
}

static void
on_upload_finished (EspySimDevice *device,
                    gboolean       ok,
                    guint8         code,
                    gpointer       user_data)
{
  const char *nick = espy_ota_response_nick (code);

  g_printerr ("espy-sim: %s upload %s (0x%02X %s)\n", espy_sim_device_get_name (device),
              ok ? "finished" : "failed", code, nick != NULL ? nick : "unknown");
}

/* Keeps the announced version in step with what the device runs after an OTA. */
static void
on_upload_finished_publish (EspySimDevice *device,
                            gboolean       ok,
                            guint8         code,
                            gpointer       user_data)
{
  EspySimPublisher *publisher = user_data;

  if (!ok)
    return;
  espy_sim_publisher_set_version (publisher, espy_sim_device_get_version (device));
  espy_sim_publisher_update (publisher);
}

static gboolean
publish_device (EspySimDevice      *device,
                EspySimGeneration   generation,
                GPtrArray          *publishers,
                GError            **error)
{
  g_autoptr(EspySimPublisher) publisher = espy_sim_publisher_new (espy_sim_device_get_name (device));

  espy_sim_publisher_set_friendly_name (publisher, espy_sim_device_get_friendly_name (device));
  espy_sim_publisher_set_platform (publisher, espy_sim_device_get_platform (device));
  espy_sim_publisher_set_board (publisher, espy_sim_device_get_board (device));
  espy_sim_publisher_set_version (publisher, espy_sim_device_get_version (device));
  espy_sim_publisher_set_generation (publisher, generation);
  espy_sim_publisher_set_mac (publisher, espy_sim_device_get_mac (device));
  /* The ports the services really got (a free port when asked for 0). */
  if (espy_sim_device_get_api_port (device) != 0)
    espy_sim_publisher_set_api_port (publisher, espy_sim_device_get_api_port (device));
  espy_sim_publisher_set_web_port (publisher, espy_sim_device_get_web_port (device));
  espy_sim_publisher_set_api_encryption (publisher, espy_sim_device_get_api_encrypted (device), TRUE);
  if (!espy_sim_publisher_publish (publisher, error))
    return FALSE;
  g_signal_connect_object (device, "upload-finished", G_CALLBACK (on_upload_finished_publish),
                           publisher, 0);
  g_ptr_array_add (publishers, g_steal_pointer (&publisher));
  return TRUE;
}

static gboolean
read_password_file (const char  *path,
                    char       **password,
                    GError     **error)
{
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  if (memchr (contents, '\0', len) != NULL)
    {
      explicit_bzero (contents, len);
      g_free (contents);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the password contains a NUL byte", path);
      return FALSE;
    }
  /* Exactly one trailing newline, as an editor leaves it. */
  if (len > 0 && contents[len - 1] == '\n')
    {
      contents[--len] = '\0';
      if (len > 0 && contents[len - 1] == '\r')
        contents[--len] = '\0';
    }
  *password = contents;
  return TRUE;
}

static gboolean
parse_generation (const char         *text,
                  EspySimGeneration  *generation)
{
  if (text == NULL || g_str_equal (text, "2025.10"))
    *generation = ESPY_SIM_GENERATION_2025_10;
  else if (g_str_equal (text, "2024.2"))
    *generation = ESPY_SIM_GENERATION_2024_2;
  else if (g_str_equal (text, "2026.1"))
    *generation = ESPY_SIM_GENERATION_2026_1;
  else
    return FALSE;
  return TRUE;
}

static const char *
default_board (const char *platform)
{
  if (g_ascii_strcasecmp (platform, "ESP8266") == 0)
    return "nodemcuv2";
  if (g_ascii_strcasecmp (platform, "RP2040") == 0)
    return "rpipicow";
  if (g_ascii_strncasecmp (platform, "BK72", 4) == 0)
    return "generic-bk7231n-qfn32-tuya";
  return "esp32dev";
}

/* MAC + OFFSET in its last 24 bits, so --count devices differ. */
static char *
mac_plus (const char *mac,
          guint       offset)
{
  guint64 value = 0;
  guint digits = 0;

  for (const char *p = mac; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      {
        value = value << 4 | (guint64) g_ascii_xdigit_value (*p);
        digits++;
      }
  if (digits != 12)
    return g_strdup (mac);  /* espy_sim_device_set_mac() explains */
  value = (value & ~(guint64) 0xffffff) | (((value & 0xffffff) + offset) & 0xffffff);
  return g_strdup_printf ("%012" G_GINT64_MODIFIER "x", value);
}

static int
fail (const char *message)
{
  g_printerr ("espy-sim: %s\n", message);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *password = NULL;
  g_autofree char *api_password = NULL;
  g_autofree char *web_password = NULL;
  EspySimWebFlavour web_flavour = ESPY_SIM_WEB_FLAVOUR_ARDUINO;
  gboolean want_api;
  gboolean want_web;
  guint16 api_base_port;
  EspySimGeneration generation;
  const char *platform;
  const char *name;
  guint16 base_port;
  int status = 0;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- simulated ESPHome devices on loopback");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, description);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error->message);
  if (argc > 1)
    return fail ("unexpected argument (the password goes in --password-file)");

  platform = opt_platform != NULL ? opt_platform : "ESP32";
  name = opt_name != NULL ? opt_name : "espy-sim";
  if (!parse_generation (opt_generation, &generation))
    return fail ("--generation must be 2024.2, 2025.10 or 2026.1");
  if (opt_ota_version != 1 && opt_ota_version != 2)
    return fail ("--ota-version must be 1 or 2");
  if (opt_count < 1 || opt_count > 1000)
    return fail ("--count must be between 1 and 1000");
  if (opt_ota_port < -1 || opt_ota_port > 65535 ||
      (opt_ota_port > 0 && opt_ota_port + opt_count - 1 > 65535))
    return fail ("--ota-port out of range");
  if (opt_flash_rate < 0 || opt_max_image_size < 0 || opt_erase_ms_per_mib < 0)
    return fail ("--flash-rate, --max-image-size and --erase-ms-per-mib must not be negative");
  if (opt_boot_seconds < 0 || opt_boot_seconds > 3600)
    return fail ("--boot-seconds must be between 0 and 3600");
  if (opt_timeout_scale < 0)
    return fail ("--timeout-scale must not be negative");
  for (guint i = 0; opt_faults != NULL && opt_faults[i] != NULL; i++)
    if (!espy_sim_fault_parse (opt_faults[i], NULL, NULL, NULL, &error))
      return fail (error->message);
  if (opt_password_file != NULL && !read_password_file (opt_password_file, &password, &error))
    return fail (error->message);

  if (opt_api_port < -1 || opt_api_port > 65535 ||
      (opt_api_port > 0 && opt_api_port + opt_count - 1 > 65535))
    return fail ("--api-port out of range");
  if (opt_web_port < -1 || opt_web_port > 65535 ||
      (opt_web_port > 0 && opt_web_port + opt_count - 1 > 65535))
    return fail ("--web-port out of range");
  if (opt_api_key != NULL && !espy_api_parse_key (opt_api_key, NULL, &error))
    return fail (error->message);
  if ((opt_web_user != NULL) != (opt_web_password_file != NULL))
    return fail ("--web-user and --web-password-file go together");
  if (opt_web_flavour != NULL)
    {
      if (g_str_equal (opt_web_flavour, "arduino"))
        web_flavour = ESPY_SIM_WEB_FLAVOUR_ARDUINO;
      else if (g_str_equal (opt_web_flavour, "esp-idf"))
        web_flavour = ESPY_SIM_WEB_FLAVOUR_ESP_IDF;
      else
        return fail ("--web-flavour must be arduino or esp-idf");
    }
  if (opt_log_rate < 0)
    return fail ("--log-rate must not be negative");
  if (opt_api_password_file != NULL && !read_password_file (opt_api_password_file, &api_password, &error))
    return fail (error->message);
  if (opt_web_password_file != NULL && !read_password_file (opt_web_password_file, &web_password, &error))
    return fail (error->message);
  want_api = opt_api_port >= 0 || opt_api_key != NULL || opt_api_password_file != NULL;
  want_web = opt_web_port >= 0 || opt_web_user != NULL || opt_web_flavour != NULL || opt_no_web_ota;
  api_base_port = opt_api_port >= 0 ? (guint16) opt_api_port : 6053;

  /* Before the first "ota=" line: a script may signal as soon as it reads it. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);

  base_port = opt_ota_port >= 0 ? (guint16) opt_ota_port : espy_ota_default_port (platform);

  for (int i = 0; i < opt_count; i++)
    {
      g_autofree char *device_name = opt_count > 1 ? g_strdup_printf ("%s-%d", name, i + 1)
                                                   : g_strdup (name);
      EspySimDevice *device = espy_sim_device_new (device_name);

      g_ptr_array_add (devices, device);
      espy_sim_device_set_friendly_name (device, opt_friendly_name);
      espy_sim_device_set_platform (device, platform);
      espy_sim_device_set_board (device, opt_board != NULL ? opt_board : default_board (platform));
      if (opt_version != NULL)
        espy_sim_device_set_version (device, opt_version);
      if (opt_compilation_time != NULL)
        espy_sim_device_set_compilation_time (device, opt_compilation_time);
      espy_sim_device_set_generation (device, generation);
      espy_sim_device_set_ota_version (device, (guint) opt_ota_version);
      espy_sim_device_set_ota_port (device, base_port == 0 ? 0 : (guint16) (base_port + i));
      espy_sim_device_set_password (device, password);
      espy_sim_device_set_flash_rate (device, (guint64) opt_flash_rate);
      espy_sim_device_set_boot_ms (device, (guint) (opt_boot_seconds * 1000.0 + 0.5));
      espy_sim_device_set_erase_ms_per_mib (device, (guint) opt_erase_ms_per_mib);
      espy_sim_device_set_timeout_scale (device, (guint) opt_timeout_scale);
      espy_sim_device_set_max_image_size (device, (gsize) opt_max_image_size);
      espy_sim_device_set_log_rate (device, opt_log_rate);
      if (opt_mac != NULL)
        {
          g_autofree char *mac = mac_plus (opt_mac, (guint) i);

          if (!espy_sim_device_set_mac (device, mac, &error))
            {
              status = fail (error->message);
              goto out;
            }
        }
      if (want_api)
        {
          espy_sim_device_set_api_port (device, api_base_port == 0 ? 0 : (guint16) (api_base_port + i));
          espy_sim_device_set_api_key (device, opt_api_key, NULL);  /* checked above */
          espy_sim_device_set_api_password (device, api_password);
        }
      if (want_web)
        {
          guint16 web_base_port = opt_web_port >= 0 ? (guint16) opt_web_port : 80;

          espy_sim_device_set_web_port (device, web_base_port == 0 ? 0 : (guint16) (web_base_port + i));
          espy_sim_device_set_web_auth (device, opt_web_user, web_password, web_flavour);
          espy_sim_device_set_web_ota (device, !opt_no_web_ota);
        }
      for (guint f = 0; opt_faults != NULL && opt_faults[f] != NULL; f++)
        {
          EspySimStep step;
          EspySimFaultKind kind;
          guint8 byte;

          espy_sim_fault_parse (opt_faults[f], &step, &kind, &byte, NULL);
          espy_sim_device_add_fault (device, step, kind, byte);
        }
      if (opt_verbose)
        {
          g_signal_connect (device, "state-changed", G_CALLBACK (on_state_changed), NULL);
          g_signal_connect (device, "upload-finished", G_CALLBACK (on_upload_finished), NULL);
        }

      if (!espy_sim_device_start (device, &error))
        {
          g_autofree char *message = g_strdup_printf ("%s: %s", device_name, error->message);

          status = fail (message);
          goto out;
        }
      if (opt_publish && !publish_device (device, generation, publishers, &error))
        {
          g_autofree char *message = g_strdup_printf ("%s: %s", device_name, error->message);

          status = fail (message);
          goto out;
        }
      {
        g_autoptr(GString) line = g_string_new (NULL);

        g_string_printf (line, "espy-sim: %s ota=127.0.0.1:%u", device_name, espy_sim_device_get_ota_port (device));
        if (espy_sim_device_get_api_port (device) != 0)
          g_string_append_printf (line, " api=127.0.0.1:%u", espy_sim_device_get_api_port (device));
        if (espy_sim_device_get_web_port (device) != 0)
          g_string_append_printf (line, " web=127.0.0.1:%u", espy_sim_device_get_web_port (device));
        g_print ("%s\n", line->str);
        fflush (stdout);
      }
    }

  g_main_loop_run (loop);

out:
  g_ptr_array_set_size (publishers, 0);
  for (guint i = 0; i < devices->len; i++)
    espy_sim_device_stop (g_ptr_array_index (devices, i));
  g_clear_pointer (&loop, g_main_loop_unref);
  espy_secret_string_clear (&password);
  espy_secret_string_clear (&api_password);
  espy_secret_string_clear (&web_password);
  espy_secret_string_clear (&opt_api_key);
  g_free (opt_name);
  g_free (opt_friendly_name);
  g_free (opt_platform);
  g_free (opt_board);
  g_free (opt_version);
  g_free (opt_compilation_time);
  g_free (opt_generation);
  g_free (opt_password_file);
  g_strfreev (opt_faults);
  g_free (opt_web_user);
  g_free (opt_web_password_file);
  g_free (opt_api_password_file);
  g_free (opt_web_flavour);
  g_free (opt_mac);
  return status;
}
