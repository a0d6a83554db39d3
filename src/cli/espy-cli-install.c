/* espy-cli-install.c: `espy-cli install` (the install job: build, choose the
 * transport, upload, wait for the reboot, verify) and `espy-cli update-all`
 * (the same for every device of a configuration folder, through the
 * install manager's bounded queue).
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
#include "espy-build-runner.h"
#include "espy-config-folder.h"
#include "espy-device-feeds.h"
#include "espy-device-store.h"
#include "espy-discovery.h"
#include "espy-install-job.h"
#include "espy-install-manager.h"
#include "espy-manual-devices.h"
#include "espy-ota-error.h"
#include "espy-update-plan.h"
#include "espy-web-ota-client.h"

#include "espy-cli-common.h"

/* --- errors of every domain an install can end with ------------------------ */

int
install_exit_code (const GError *error)
{
  if (error->domain == ESPY_WEB_OTA_ERROR)
    {
      switch ((EspyWebOtaError) error->code)
        {
        case ESPY_WEB_OTA_ERROR_CONNECT:
        case ESPY_WEB_OTA_ERROR_TIMEOUT:
        case ESPY_WEB_OTA_ERROR_CLOSED:
          return EXIT_NETWORK;
        case ESPY_WEB_OTA_ERROR_AUTH_REQUIRED:
        case ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS:
          return EXIT_AUTH;
        case ESPY_WEB_OTA_ERROR_NO_WEB_OTA:
        case ESPY_WEB_OTA_ERROR_UPDATE_FAILED:
        case ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE:
        default:
          return EXIT_DEVICE;
        }
    }
  if (error->domain == ESPY_INSTALL_ERROR)
    {
      switch ((EspyInstallError) error->code)
        {
        case ESPY_INSTALL_ERROR_PASSWORD_REQUIRED: return EXIT_AUTH;
        case ESPY_INSTALL_ERROR_NOT_BACK: return EXIT_NETWORK;
        case ESPY_INSTALL_ERROR_NO_IMAGE: return EXIT_BAD_INPUT;
        case ESPY_INSTALL_ERROR_BUSY:
        case ESPY_INSTALL_ERROR_WEB_UNAVAILABLE:
        case ESPY_INSTALL_ERROR_OLD_FIRMWARE:
        default:
          return EXIT_DEVICE;
        }
    }
  /* The build failed on the user's input: their YAML or their compiler. */
  if (error->domain == ESPY_BUILD_ERROR)
    return EXIT_BAD_INPUT;
  if (error->domain == ESPY_API_ERROR)
    return EXIT_NETWORK;
  return exit_code_for_error (error);
}

const char *
install_error_code (const GError *error)
{
  return espy_install_error_code_nick (error);
}

/* --- output ------------------------------------------------------------------- */

typedef struct {
  OutputMode    mode;
  const char   *prefix;        /* update-all: "name: " in plain output */
  gboolean      tagged;        /* update-all: every JSON line has "device" */
  const char   *last_stage;
  guint64       printed_bytes;
  gint64        printed_us;
} Printer;

static JsonBuilder *
event_begin (Printer        *p,
             EspyInstallJob *job,
             const char     *event)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  if (p->tagged)
    {
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, espy_install_job_get_device_name (job));
    }
  return b;
}

static void
event_end (JsonBuilder *b)
{
  json_builder_end_object (b);
  print_json (b);
  g_object_unref (b);
}

/* The stage nick of the job now: the OTA stages of `upload`, plus "build"
 * and "setup" (image check, secrets, transport) before, "restart" and
 * "check" after. */
static const char *
job_stage (EspyInstallJob *job)
{
  if (espy_install_job_get_building (job))
    return "build";
  switch (espy_install_job_get_state (job))
    {
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_UPLOADING:
      return espy_install_job_get_ota_stage (job) == ESPY_OTA_STAGE_IDLE
             ? "connect" : espy_ota_stage_to_nick (espy_install_job_get_ota_stage (job));
    case ESPY_INSTALL_STATE_REBOOTING: return "restart";
    case ESPY_INSTALL_STATE_VERIFYING: return "check";
    case ESPY_INSTALL_STATE_PREPARING: return "setup";
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      return NULL;
    }
}

static void
on_job_changed (EspyInstallJob *job,
                GParamSpec     *pspec,
                Printer        *p)
{
  const char *stage = job_stage (job);

  if (stage == NULL || g_strcmp0 (stage, p->last_stage) == 0
      || g_str_equal (stage, "done") || g_str_equal (stage, "idle"))
    return;
  p->last_stage = stage;
  if (p->mode == OUTPUT_JSON)
    {
      JsonBuilder *b = event_begin (p, job, "stage");

      json_builder_set_member_name (b, "stage");
      json_builder_add_string_value (b, stage);
      event_end (b);
    }
  else
    {
      printf ("%s%s\n", p->prefix != NULL ? p->prefix : "", espy_install_job_get_status_text (job));
      fflush (stdout);
    }
}

static void
on_job_progress (EspyInstallJob *job,
                 GParamSpec     *pspec,
                 Printer        *p)
{
  guint64 sent = espy_install_job_get_bytes_sent (job);
  guint64 total = espy_install_job_get_bytes_total (job);
  gint64 now = g_get_monotonic_time ();

  if (espy_install_job_get_state (job) != ESPY_INSTALL_STATE_UPLOADING)
    return;
  if (sent != total && now - p->printed_us < 100000 && sent - p->printed_bytes < 64 * 1024)
    return;
  p->printed_us = now;
  p->printed_bytes = sent;
  if (p->mode == OUTPUT_JSON)
    {
      JsonBuilder *b = event_begin (p, job, "progress");

      json_builder_set_member_name (b, "sent");
      json_builder_add_int_value (b, (gint64) sent);
      json_builder_set_member_name (b, "acked");
      json_builder_add_int_value (b, (gint64) sent);
      json_builder_set_member_name (b, "total");
      json_builder_add_int_value (b, (gint64) total);
      event_end (b);
    }
  else if (p->mode == OUTPUT_TTY && p->prefix == NULL)
    {
      printf ("\r\033[K%s", espy_install_job_get_status_text (job));
      if (sent == total)
        printf ("\n");
      fflush (stdout);
    }
}

static void
on_job_log (EspyInstallJob *job,
            const char     *line,
            Printer        *p)
{
  /* The line is already free of the job's secrets. */
  if (p->mode == OUTPUT_JSON)
    {
      JsonBuilder *b = event_begin (p, job, "log");

      json_builder_set_member_name (b, "line");
      json_builder_add_string_value (b, line);
      event_end (b);
    }
  else if (p->prefix == NULL)
    {
      fprintf (stderr, "%s\n", line);
      fflush (stderr);
    }
}

static void
printer_follow (Printer        *p,
                EspyInstallJob *job)
{
  g_signal_connect (job, "notify::state", G_CALLBACK (on_job_changed), p);
  g_signal_connect (job, "notify::ota-stage", G_CALLBACK (on_job_changed), p);
  g_signal_connect (job, "notify::building", G_CALLBACK (on_job_changed), p);
  g_signal_connect (job, "notify::bytes-sent", G_CALLBACK (on_job_progress), p);
  g_signal_connect (job, "log-line", G_CALLBACK (on_job_log), p);
}

/* The final line of one job: ok with what the device runs, or the error. */
static void
print_result (Printer        *p,
              EspyInstallJob *job)
{
  const GError *error = espy_install_job_get_error (job);
  EspyInstallAttempt *attempt = espy_install_job_get_attempt (job);
  gboolean ok = espy_install_job_get_state (job) == ESPY_INSTALL_STATE_SUCCEEDED;

  if (p->mode == OUTPUT_JSON)
    {
      JsonBuilder *b = event_begin (p, job, "result");

      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      if (!ok && error != NULL)
        {
          json_builder_set_member_name (b, "error");
          json_builder_add_string_value (b, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                            ? _("cancelled") : error->message);
          json_builder_set_member_name (b, "code");
          json_builder_add_string_value (b, install_error_code (error));
        }
      if (attempt != NULL)
        {
          json_builder_set_member_name (b, "attempt");
          json_builder_add_value (b, espy_install_attempt_to_json (attempt));
        }
      event_end (b);
    }
  else if (ok)
    {
      printf ("%s%s\n", p->prefix != NULL ? p->prefix : "", espy_install_job_get_status_text (job));
      fflush (stdout);
    }
  else if (p->prefix != NULL && error != NULL)
    {
      printf ("%s%s\n", p->prefix, error->message);
      fflush (stdout);
    }
}

/* --- finding the device ---------------------------------------------------- */

static void
folder_loaded_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError **error = user_data;

  espy_config_folder_load_finish (ESPY_CONFIG_FOLDER (source), result, error);
}

static EspyConfigFolder *
load_folder (const char  *path,
             GError     **error)
{
  g_autoptr(GFile) dir = g_file_new_for_commandline_arg (path);
  g_autoptr(EspyConfigFolder) folder = espy_config_folder_new (dir);
  GError *local = NULL;

  espy_config_folder_load_async (folder, NULL, folder_loaded_cb, &local);
  while (!espy_config_folder_is_loaded (folder) && local == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  return g_steal_pointer (&folder);
}

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Listens to mDNS until NAME shows up or SECONDS pass. */
static EspyDevice *
wait_for_device (EspyDeviceStore *store,
                 const char      *name,
                 double           seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add ((guint) (seconds * 1000), wake_cb, &timed_out);
  EspyDevice *device;

  while ((device = espy_device_store_lookup (store, name)) == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return device;
}

typedef struct {
  EspyDeviceStore   *store;
  EspyConfigFolder  *folder;
  EspyManualDevices *manual;
  EspyDiscovery     *discovery;
} Devices;

static void
devices_clear (Devices *d)
{
  g_clear_object (&d->discovery);
  g_clear_object (&d->manual);
  g_clear_object (&d->folder);
  g_clear_object (&d->store);
}

static gboolean
devices_open (Devices     *d,
              const char  *config_dir,
              gboolean     mdns,
              GError     **error)
{
  g_autoptr(GError) local = NULL;

  d->store = espy_device_store_new ();
  d->manual = espy_manual_devices_new (NULL);
  if (!espy_manual_devices_load (d->manual, &local))
    g_printerr ("espy-cli: %s\n", local->message);
  espy_device_store_set_manual_devices (d->store, d->manual);
  if (config_dir != NULL)
    {
      GPtrArray *errors;

      d->folder = load_folder (config_dir, error);
      if (d->folder == NULL)
        return FALSE;
      errors = espy_config_folder_get_errors (d->folder);
      for (guint i = 0; errors != NULL && i < errors->len; i++)
        g_printerr ("espy-cli: %s\n", ((GError *) g_ptr_array_index (errors, i))->message);
      espy_device_store_follow_config_folder (d->store, d->folder);
    }
  if (mdns)
    {
      d->discovery = espy_discovery_new ();
      espy_device_store_follow_discovery (d->store, d->discovery);
      espy_discovery_start (d->discovery);
    }
  return TRUE;
}

static gboolean
is_yaml (const char *arg)
{
  return (g_str_has_suffix (arg, ".yaml") || g_str_has_suffix (arg, ".yml"))
         && g_file_test (arg, G_FILE_TEST_IS_REGULAR);
}

/* --- install ---------------------------------------------------------------- */

typedef struct {
  GMainLoop    *loop;
  gboolean      done;
} Wait;

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *w = user_data;

  espy_install_job_run_finish (ESPY_INSTALL_JOB (source), result, NULL);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_via (const char           *via,
           EspyInstallTransport *transport)
{
  if (via == NULL || g_str_equal (via, "auto"))
    *transport = ESPY_INSTALL_TRANSPORT_AUTO;
  else if (g_str_equal (via, "ota"))
    *transport = ESPY_INSTALL_TRANSPORT_OTA;
  else if (g_str_equal (via, "web"))
    *transport = ESPY_INSTALL_TRANSPORT_WEB;
  else
    {
      print_errorf (_("--via must be “ota”, “web” or “auto”, not “%s”"), via);
      return FALSE;
    }
  return TRUE;
}

static OutputMode
output_mode (gboolean json)
{
  if (json)
    return OUTPUT_JSON;
  return isatty (STDOUT_FILENO) ? OUTPUT_TTY : OUTPUT_PLAIN;
}

int
cmd_install (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyInstallJob) job = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *firmware = NULL;
  g_autofree char *via = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *web_user = NULL;
  g_autofree char *web_password_file = NULL;
  g_autofree char *api_key_file = NULL;
  g_autofree char *host = NULL;
  g_autofree char *name = NULL;
  char *secret = NULL;
  gboolean json = FALSE;
  gboolean no_keyring = FALSE;
  int port = 0, web_port = 0, api_port = 0;
  int reboot_timeout_ms = ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS;
  int verify_timeout_ms = ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS;
  double timeout = 3.0;
  EspyInstallTransport transport;
  Devices devices = { 0 };
  EspyDevice *device;
  Printer printer = { 0 };
  Wait wait = { 0 };
  guint sigint_id;
  const char *target;
  int ret;
  GOptionEntry entries[] = {
    { "firmware", 0, 0, G_OPTION_ARG_FILENAME, &firmware,
      N_("Install FILE instead of building the device’s configuration"), N_("FILE") },
    { "via", 0, 0, G_OPTION_ARG_STRING, &via,
      N_("native OTA (ota), the web server (web), or what the device supports (auto, default)"),
      N_("ota|web|auto") },
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &config_dir,
      N_("The ESPHome configuration folder that has the device’s YAML"), N_("DIR") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, N_("Connect to HOST instead of the device’s address"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("OTA port (default: from the configuration)"), N_("N") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the OTA password from FILE (else $ESPY_PASSWORD, the configuration, the keyring)"), N_("FILE") },
    { "web-port", 0, 0, G_OPTION_ARG_INT, &web_port, N_("Web server port"), N_("N") },
    { "web-user", 0, 0, G_OPTION_ARG_STRING, &web_user, N_("Web server user"), N_("USER") },
    { "web-password-file", 0, 0, G_OPTION_ARG_FILENAME, &web_password_file,
      N_("Read the web server password from FILE"), N_("FILE") },
    { "api-port", 0, 0, G_OPTION_ARG_INT, &api_port, N_("Native API port, to check the device afterwards"), N_("N") },
    { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &api_key_file,
      N_("Read the native API encryption key from FILE"), N_("FILE") },
    { "no-keyring", 0, 0, G_OPTION_ARG_NONE, &no_keyring, N_("Do not look secrets up in the keyring"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
      N_("Seconds to look for the device over mDNS (default 3)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line: stages, progress, log lines and the result"), NULL },
    { "reboot-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &reboot_timeout_ms, "", "MS" },
    { "verify-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &verify_timeout_ms, "", "MS" },
    { NULL }
  };

  if (argv_has_password (argc, argv))
    {
      print_error (_("passwords are not accepted on the command line, where other users can see them; "
                     "use --password-file FILE or the ESPY_PASSWORD environment variable"));
      return EXIT_USAGE;
    }
  g_set_prgname ("espy-cli install");
  context = g_option_context_new (_("DEVICE-OR-YAML"));
  g_option_context_set_summary (context, _("Installs on a device what its configuration builds (or --firmware), "
                                           "through native OTA or its web server, waits for it to restart and "
                                           "checks that it runs the new build. DEVICE is a node name (found in "
                                           "--config-dir, over mDNS or among devices added by address), a host, "
                                           "or the device’s YAML file."));
  g_option_context_set_description (context, _(EXIT_CODES_HELP));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli install --help”"));
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("install needs one DEVICE or YAML file; see “espy-cli install --help”"));
      return EXIT_USAGE;
    }
  if (!parse_via (via, &transport))
    return EXIT_USAGE;
  if (port < 0 || port > 65535 || web_port < 0 || web_port > 65535 || api_port < 0 || api_port > 65535)
    {
      print_error (_("ports must be between 1 and 65535"));
      return EXIT_USAGE;
    }
  if (web_password_file != NULL && web_user == NULL)
    {
      print_error (_("--web-password-file needs --web-user"));
      return EXIT_USAGE;
    }
  target = argv[1];
  printer.mode = output_mode (json);

  /* The device: its YAML, the folder, mDNS, devices added by address. */
  if (is_yaml (target))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (target);
      g_autoptr(EspyDeviceInfo) info = NULL;
      g_autofree char *path = g_file_get_path (file);

      config = espy_device_config_new_for_file (file, NULL, &error);
      if (config == NULL)
        return report_failure (printer.mode, error, "config-invalid", EXIT_BAD_INPUT);
      if (!devices_open (&devices, NULL, host == NULL, &error))
        return report_failure (printer.mode, error, NULL, EXIT_BAD_INPUT);
      info = espy_device_info_new_for_config (config);
      espy_device_store_update (devices.store, ESPY_DEVICE_SOURCE_CONFIG, path, info);
      name = g_strdup (espy_device_config_get_name (config));
    }
  else
    {
      if (!devices_open (&devices, config_dir, host == NULL, &error))
        {
          devices_clear (&devices);
          return report_failure (printer.mode, error, NULL, EXIT_BAD_INPUT);
        }
      name = g_strdup (target);
      if (devices.folder != NULL && espy_config_folder_lookup_name (devices.folder, name) != NULL)
        config = g_object_ref (espy_config_folder_lookup_name (devices.folder, name));
    }
  device = espy_device_store_lookup (devices.store, name);
  if (device != NULL && host == NULL && devices.discovery != NULL && !espy_device_get_online (device))
    {
      /* Known from its YAML: give mDNS a moment for its address (no
       * device has that name: this only listens). */
      wait_for_device (devices.store, "\x01", MIN (timeout, 1.5));
    }
  if (device == NULL && devices.discovery != NULL)
    device = wait_for_device (devices.store, name, timeout);
  if (device == NULL)
    {
      /* Not a known name: a host, as `upload` takes it. */
      g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

      espy_device_info_set_name (info, name);
      espy_device_info_set_host (info, name);
      espy_device_store_update (devices.store, ESPY_DEVICE_SOURCE_MANUAL, "espy-cli", info);
      device = espy_device_store_lookup (devices.store, name);
      if (device == NULL)
        {
          devices_clear (&devices);
          print_errorf (_("no device called “%s”: not in the configuration folder, not announced over mDNS, "
                          "not added by address"), name);
          return EXIT_USAGE;
        }
    }

  if (firmware != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (firmware);

      image = espy_firmware_image_load (file, NULL, &error);
      if (image == NULL)
        {
          devices_clear (&devices);
          return report_failure (printer.mode, error, NULL, EXIT_BAD_INPUT);
        }
    }
  else if (config == NULL)
    {
      devices_clear (&devices);
      print_errorf (_("nothing to install on “%s”: give --firmware FILE, or its YAML (or --config-dir) to build it"),
                    name);
      return EXIT_USAGE;
    }

  job = espy_install_job_new (device, image);
  espy_install_job_set_config (job, config);
  espy_install_job_set_transport (job, transport);
  espy_install_job_set_use_keyring (job, !no_keyring);
  espy_install_job_set_host (job, host);
  espy_install_job_set_ota_port (job, (guint16) port);
  espy_install_job_set_web_port (job, (guint16) web_port);
  espy_install_job_set_api_port (job, (guint16) api_port);
  espy_install_job_set_reboot_timeout (job, (guint) MAX (reboot_timeout_ms, 1));
  espy_install_job_set_verify_timeout (job, (guint) MAX (verify_timeout_ms, 0));

  /* Secrets: files and $ESPY_PASSWORD first; the job then looks in the
   * configuration and the keyring for what is still missing. */
  if (password_file != NULL || g_getenv ("ESPY_PASSWORD") != NULL)
    {
      secret = read_password (password_file, &error);
      if (error != NULL)
        {
          devices_clear (&devices);
          return report_failure (printer.mode, error, "password-file", EXIT_BAD_INPUT);
        }
      espy_install_job_set_password (job, secret);
      secret_free (g_steal_pointer (&secret));
    }
  if (web_user != NULL)
    {
      if (web_password_file != NULL)
        {
          secret = read_password_file (web_password_file, &error);
          if (secret == NULL)
            {
              devices_clear (&devices);
              return report_failure (printer.mode, error, "password-file", EXIT_BAD_INPUT);
            }
        }
      espy_install_job_set_web_credentials (job, web_user, secret);
      secret_free (g_steal_pointer (&secret));
    }
  if (api_key_file != NULL)
    {
      secret = read_password_file (api_key_file, &error);
      if (secret == NULL)
        {
          devices_clear (&devices);
          return report_failure (printer.mode, error, "key-file", EXIT_BAD_INPUT);
        }
      espy_install_job_set_api_key (job, secret);
      secret_free (g_steal_pointer (&secret));
    }

  printer_follow (&printer, job);
  cancellable = g_cancellable_new ();
  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, cancellable);
  espy_install_job_run_async (job, cancellable, job_done_cb, &wait);
  while (!wait.done)
    g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_signal_handlers_disconnect_by_data (job, &printer);

  print_result (&printer, job);
  if (espy_install_job_get_state (job) == ESPY_INSTALL_STATE_SUCCEEDED)
    ret = EXIT_OK;
  else
    {
      const GError *job_error = espy_install_job_get_error (job);

      /* Every output mode: the one line on stderr the contract promises. */
      print_error (g_error_matches (job_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? _("cancelled")
                                                                                   : job_error->message);
      ret = install_exit_code (job_error);
    }
  g_clear_object (&job);
  devices_clear (&devices);
  return ret;
}

/* --- update-all ---------------------------------------------------------------- */

typedef struct {
  EspyUpdatePlan      *plan;
  Printer             *printer;
  GPtrArray           *printers;
} UpdateAll;

/* The job itself is the plan's (the window's Update All makes the same);
 * the CLI only adds its printer. */
static EspyInstallJob *
make_job (EspyDevice *device,
          gpointer    user_data)
{
  UpdateAll *u = user_data;
  EspyInstallJob *job = espy_update_plan_make_job (u->plan, device);
  Printer *p;

  if (job == NULL)
    return NULL;
  p = g_new0 (Printer, 1);
  *p = *u->printer;
  p->prefix = g_strdup_printf ("%s: ", espy_device_get_name (device));
  g_ptr_array_add (u->printers, p);
  g_object_set_data (G_OBJECT (job), "espy-cli-printer", p);
  if (p->mode == OUTPUT_JSON)
    printer_follow (p, job);
  else
    g_signal_connect (job, "notify::state", G_CALLBACK (on_job_changed), p);
  return job;
}

static void
printer_free (gpointer data)
{
  Printer *p = data;

  g_free ((char *) p->prefix);
  g_free (p);
}

static void
update_job_finished_cb (EspyInstallManager *manager,
                        EspyInstallJob     *job,
                        gpointer            user_data)
{
  Printer *p = g_object_get_data (G_OBJECT (job), "espy-cli-printer");

  if (p == NULL)
    return;
  g_signal_handlers_disconnect_by_data (job, p);
  print_result (p, job);
}

typedef struct {
  GMainLoop         *loop;
  gboolean           done;
  EspyUpdateSummary  summary;
  GError            *error;
} UpdateWait;

static void
update_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  UpdateWait *w = user_data;

  espy_install_manager_update_all_finish (ESPY_INSTALL_MANAGER (source), result, &w->summary, &w->error);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

int
cmd_update_all (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyInstallManager) manager = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GListStore) targets = NULL;
  g_autoptr(EspyUpdatePlan) plan = NULL;
  g_autoptr(GPtrArray) printers = g_ptr_array_new_with_free_func (printer_free);
  g_autofree char *config_dir = NULL;
  g_autofree char *via = NULL;
  g_autofree char *offline = NULL;
  g_autofree char *summary_text = NULL;
  gboolean json = FALSE;
  gboolean no_keyring = FALSE;
  int jobs = ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL;
  int offline_timeout = 60;
  int reboot_timeout_ms = ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS;
  int verify_timeout_ms = ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS;
  EspyInstallTransport transport = ESPY_INSTALL_TRANSPORT_AUTO;
  double timeout = 2.0;
  Devices devices = { 0 };
  Printer printer = { 0 };
  UpdateAll u = { 0 };
  UpdateWait w = { 0 };
  EspyUpdateOptions options = { 0 };
  guint sigint_id, n;
  GOptionEntry entries[] = {
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &config_dir,
      N_("The ESPHome configuration folder: every device YAML in it is built and installed"), N_("DIR") },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, N_("Installs at once (default 4)"), N_("N") },
    { "via", 0, 0, G_OPTION_ARG_STRING, &via, N_("ota, web or auto (default)"), N_("ota|web|auto") },
    { "offline", 0, 0, G_OPTION_ARG_STRING, &offline,
      N_("Devices not online: wait for them (wait, default) or skip them (skip)"), N_("wait|skip") },
    { "offline-timeout", 0, 0, G_OPTION_ARG_INT, &offline_timeout,
      N_("Seconds to wait for an offline device (default 60)"), N_("SECONDS") },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
      N_("Seconds to look for devices over mDNS first (default 2)"), N_("SECONDS") },
    { "no-keyring", 0, 0, G_OPTION_ARG_NONE, &no_keyring, N_("Do not look secrets up in the keyring"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per line, each with \"device\""), NULL },
    { "reboot-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &reboot_timeout_ms, "", "MS" },
    { "verify-timeout-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &verify_timeout_ms, "", "MS" },
    { NULL }
  };

  g_set_prgname ("espy-cli update-all");
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Builds and installs every device of a configuration folder, "
                                           "several at once; a failure does not stop the others."));
  g_option_context_set_description (context, _(EXIT_CODES_HELP));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      print_errorf ("%s (%s)", error->message, _("see “espy-cli update-all --help”"));
      return EXIT_USAGE;
    }
  if (argc != 1 || config_dir == NULL)
    {
      print_error (_("update-all needs --config-dir DIR; see “espy-cli update-all --help”"));
      return EXIT_USAGE;
    }
  if (jobs < 1 || jobs > 64)
    {
      print_errorf (_("--jobs must be between 1 and 64, not %d"), jobs);
      return EXIT_USAGE;
    }
  if (!parse_via (via, &transport))
    return EXIT_USAGE;
  if (offline != NULL && !g_str_equal (offline, "wait") && !g_str_equal (offline, "skip"))
    {
      print_errorf (_("--offline must be “wait” or “skip”, not “%s”"), offline);
      return EXIT_USAGE;
    }
  printer.mode = json ? OUTPUT_JSON : OUTPUT_PLAIN;
  printer.tagged = TRUE;

  if (!devices_open (&devices, config_dir, TRUE, &error))
    {
      devices_clear (&devices);
      return report_failure (printer.mode, error, NULL, EXIT_BAD_INPUT);
    }
  /* mDNS and the first probes say who is online. */
  n = g_list_model_get_n_items (G_LIST_MODEL (devices.store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (G_LIST_MODEL (devices.store), i);

      espy_device_store_probe_now (devices.store, device);
    }
  /* No device has that name: this only listens. */
  wait_for_device (devices.store, "\x01", timeout);

  targets = g_list_store_new (ESPY_TYPE_DEVICE);
  n = g_list_model_get_n_items (G_LIST_MODEL (devices.store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (G_LIST_MODEL (devices.store), i);

      if (espy_config_folder_lookup_name (devices.folder, espy_device_get_name (device)) != NULL)
        g_list_store_append (targets, device);
    }

  plan = espy_update_plan_new (devices.folder);
  espy_update_plan_set_transport (plan, transport);
  espy_update_plan_set_use_keyring (plan, !no_keyring);
  espy_update_plan_set_timeouts (plan, (guint) MAX (reboot_timeout_ms, 1), (guint) MAX (verify_timeout_ms, 0));
  u.plan = plan;
  u.printer = &printer;
  u.printers = printers;
  options.make_job = make_job;
  options.user_data = &u;
  options.offline = offline != NULL && g_str_equal (offline, "skip") ? ESPY_UPDATE_OFFLINE_SKIP
                                                                     : ESPY_UPDATE_OFFLINE_WAIT;
  options.offline_timeout_ms = (guint) MAX (offline_timeout, 1) * 1000;

  manager = espy_install_manager_new ();
  espy_install_manager_set_max_parallel (manager, (guint) jobs);
  g_signal_connect (manager, "job-finished", G_CALLBACK (update_job_finished_cb), NULL);
  cancellable = g_cancellable_new ();
  loop = g_main_loop_new (NULL, FALSE);
  w.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, cancellable);
  espy_install_manager_update_all_async (manager, G_LIST_MODEL (targets), &options, cancellable,
                                         update_done_cb, &w);
  while (!w.done)
    g_main_loop_run (loop);
  g_source_remove (sigint_id);

  summary_text = espy_update_summary_to_string (&w.summary);
  if (printer.mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "summary");
      json_builder_set_member_name (b, "succeeded");
      json_builder_add_int_value (b, w.summary.n_succeeded);
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, w.summary.n_failed);
      json_builder_set_member_name (b, "skipped");
      json_builder_add_int_value (b, w.summary.n_skipped);
      json_builder_set_member_name (b, "cancelled");
      json_builder_add_int_value (b, w.summary.n_cancelled);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    printf ("%s\n", summary_text);

  g_clear_object (&manager);
  devices_clear (&devices);
  if (w.error != NULL)
    {
      g_clear_error (&w.error);
      print_error (_("cancelled"));
      return EXIT_CANCELLED;
    }
  if (w.summary.n_failed > 0)
    {
      print_errorf (_("update-all: %s"), summary_text);
      return EXIT_DEVICE;
    }
  return EXIT_OK;
}
