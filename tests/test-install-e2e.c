/* test-install-e2e.c: the install job end to end against in-process
 * simulated devices over real sockets: web server flashing (Basic, wrong
 * and missing credentials, failure body, the drop of the reboot), builds
 * with the esphome stand-in, the automatic transport fallback, the check
 * after the reboot both ways, Update All over 20 devices, and the keyring.
 *
 * The simulator has no native API yet, so each device gets a small
 * plaintext API responder here (Hello, Connect, DeviceInfo, Ping,
 * Disconnect) that reports what the simulated device runs now and is
 * closed while it restarts, as a real device's API is.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-api-frame.h"
#include "espy-api-messages.h"
#include "espy-build-runner.h"
#include "espy-device-feeds.h"
#include "espy-device-store.h"
#include "espy-install-job.h"
#include "espy-install-manager.h"
#include "espy-ota-error.h"
#include "espy-secrets.h"
#include "espy-sim-device.h"
#include "espy-sim-web-server.h"
#include "espy-web-ota-client.h"

#define OLD_VERSION "2025.10.0"
#define NEW_VERSION "2026.1.0"
#define OLD_TIME    "Jan  1 2026, 08:00:00"
#define NEW_TIME    "Feb  2 2026, 09:30:00"
#define WEB_USER    "admin"
#define WEB_PASS    "w3b-s3cret-pass"
#define OTA_PASS    "0ta-s3cret-pass"

/* --- waiting --------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_flag (gboolean *flag,
           guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, wake_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

/* --- what a simulated device runs, for the API responder ----------------------- */

typedef struct {
  GMutex   lock;
  gboolean up;
  char    *version;
  char    *compilation_time;
  char    *name;
} Runs;

static void
runs_clear (gpointer data)
{
  Runs *r = data;

  g_free (r->version);
  g_free (r->compilation_time);
  g_free (r->name);
  g_mutex_clear (&r->lock);
}

/* Shared by a device and its API responder's threads. */
static Runs *
runs_new (const char *name)
{
  Runs *r = g_atomic_rc_box_new0 (Runs);

  g_mutex_init (&r->lock);
  r->name = g_strdup (name);
  return r;
}

static void
runs_unref (Runs *r)
{
  g_atomic_rc_box_release_full (r, runs_clear);
}

static void
runs_set (Runs       *r,
          gboolean    up,
          const char *version,
          const char *compilation_time)
{
  g_mutex_lock (&r->lock);
  r->up = up;
  if (version != NULL)
    {
      g_free (r->version);
      r->version = g_strdup (version);
    }
  if (compilation_time != NULL)
    {
      g_free (r->compilation_time);
      r->compilation_time = g_strdup (compilation_time);
    }
  g_mutex_unlock (&r->lock);
}

/* --- the API responder ------------------------------------------------------- */

typedef struct {
  GSocketService *service;
  guint16         port;
  Runs           *runs;
  gint            connections;  /* atomic */
} Api;

static gboolean
read_varint (GInputStream *in,
             guint32      *value)
{
  guint8 byte;
  guint shift = 0;

  *value = 0;
  do
    {
      if (!g_input_stream_read_all (in, &byte, 1, NULL, NULL, NULL) || shift > 28)
        return FALSE;
      *value |= (guint32) (byte & 0x7f) << shift;
      shift += 7;
    }
  while (byte & 0x80);
  return TRUE;
}

static void
send_msg (GOutputStream          *out,
          const ProtobufCMessage *msg)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  espy_api_message_append_plaintext (frame, msg);
  g_output_stream_write_all (out, frame->data, frame->len, NULL, NULL, NULL);
}

static gboolean api_serve (Api               *api,
                           GSocketConnection *connection);

static gboolean
api_run_cb (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source_object,
            gpointer                user_data)
{
  Api *api = user_data;

  api_serve (api, connection);
  return TRUE;
}

static gboolean
api_serve (Api               *api,
           GSocketConnection *connection)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  gboolean up;

  g_atomic_int_inc (&api->connections);
  g_mutex_lock (&api->runs->lock);
  up = api->runs->up;
  g_mutex_unlock (&api->runs->lock);
  /* Restarting: nothing answers (a real device's port is closed). */
  if (!up)
    return TRUE;

  for (;;)
    {
      guint8 zero;
      guint32 len, type;
      g_autofree guint8 *payload = NULL;

      if (!g_input_stream_read_all (in, &zero, 1, NULL, NULL, NULL) || zero != 0
          || !read_varint (in, &len) || !read_varint (in, &type) || len > 65536)
        break;
      payload = g_malloc (len + 1);
      if (len > 0 && !g_input_stream_read_all (in, payload, len, NULL, NULL, NULL))
        break;
      switch (type)
        {
        case ESPY_API_MSG_HELLO_REQUEST:
          {
            EspyApi__HelloResponse msg = ESPY_API__HELLO_RESPONSE__INIT;

            msg.api_version_major = 1;
            msg.api_version_minor = 10;
            msg.server_info = (char *) "test-install-e2e";
            msg.name = api->runs->name;
            send_msg (out, &msg.base);
          }
          break;
        case ESPY_API_MSG_CONNECT_REQUEST:
          {
            EspyApi__ConnectResponse msg = ESPY_API__CONNECT_RESPONSE__INIT;

            send_msg (out, &msg.base);
          }
          break;
        case ESPY_API_MSG_PING_REQUEST:
          {
            EspyApi__PingResponse msg = ESPY_API__PING_RESPONSE__INIT;

            send_msg (out, &msg.base);
          }
          break;
        case ESPY_API_MSG_DEVICE_INFO_REQUEST:
          {
            EspyApi__DeviceInfoResponse msg = ESPY_API__DEVICE_INFO_RESPONSE__INIT;
            g_autofree char *version = NULL;
            g_autofree char *compilation_time = NULL;

            g_mutex_lock (&api->runs->lock);
            version = g_strdup (api->runs->version);
            compilation_time = g_strdup (api->runs->compilation_time);
            g_mutex_unlock (&api->runs->lock);
            msg.name = api->runs->name;
            msg.esphome_version = version;
            msg.compilation_time = compilation_time;
            send_msg (out, &msg.base);
          }
          break;
        case ESPY_API_MSG_DISCONNECT_REQUEST:
          {
            EspyApi__DisconnectResponse msg = ESPY_API__DISCONNECT_RESPONSE__INIT;

            send_msg (out, &msg.base);
          }
          return TRUE;
        default:
          break;
        }
    }
  return TRUE;
}

/* A handler thread keeps the service alive until it returns, so API goes
 * with the service, not before. */
static void
api_destroy (gpointer  data,
             GObject  *where_the_service_was)
{
  Api *api = data;

  runs_unref (api->runs);
  g_free (api);
}

static Api *
api_new (Runs *runs)
{
  Api *api = g_new0 (Api, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  api->runs = g_atomic_rc_box_acquire (runs);
  api->service = g_threaded_socket_service_new (8);
  g_object_weak_ref (G_OBJECT (api->service), api_destroy, api);
  g_socket_listener_add_address (G_SOCKET_LISTENER (api->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  api->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (api->service, "run", G_CALLBACK (api_run_cb), api);
  g_socket_service_start (api->service);
  return api;
}

static void
api_free (Api *api)
{
  GSocketService *service = api->service;

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
}

/* --- a native OTA device: EspySimDevice + API ---------------------------------- */

typedef struct {
  EspySimDevice *sim;
  Runs          *runs;
  Api           *api;
} OtaDev;

static void
ota_state_cb (EspySimDevice *sim,
              guint          state,
              OtaDev        *d)
{
  runs_set (d->runs, state == ESPY_SIM_STATE_RUNNING || state == ESPY_SIM_STATE_UPDATING,
            espy_sim_device_get_version (sim), espy_sim_device_get_compilation_time (sim));
}

static OtaDev *
ota_dev_new (const char *name,
             const char *password)
{
  OtaDev *d = g_new0 (OtaDev, 1);
  g_autoptr(GError) error = NULL;

  d->runs = runs_new (name);
  d->sim = espy_sim_device_new (name);
  espy_sim_device_set_platform (d->sim, "ESP32");
  espy_sim_device_set_version (d->sim, OLD_VERSION);
  espy_sim_device_set_compilation_time (d->sim, OLD_TIME);
  espy_sim_device_set_boot_ms (d->sim, 200);
  if (password != NULL)
    espy_sim_device_set_password (d->sim, password);
  g_signal_connect (d->sim, "state-changed", G_CALLBACK (ota_state_cb), d);
  g_assert_true (espy_sim_device_start (d->sim, &error));
  g_assert_no_error (error);
  runs_set (d->runs, TRUE, OLD_VERSION, OLD_TIME);
  d->api = api_new (d->runs);
  return d;
}

static void
ota_dev_free (OtaDev *d)
{
  g_signal_handlers_disconnect_by_data (d->sim, d);
  espy_sim_device_stop (d->sim);
  g_object_unref (d->sim);
  api_free (d->api);
  runs_unref (d->runs);
  g_free (d);
}

/* --- a web server device: EspySimWebServer + API, restarting after an upload -- */

typedef struct {
  EspySimWebServer *web;
  Runs             *runs;
  Api              *api;
  guint             boot_ms;
} WebDev;

typedef struct {
  WebDev *d;
  GBytes *image;
} Reboot;

/* The reboot the upload function must not do on the server's thread. */
static gpointer
web_reboot_thread (gpointer data)
{
  Reboot *r = data;
  g_autofree char *version = NULL;
  g_autofree char *compilation_time = NULL;
  g_autoptr(GError) error = NULL;

  runs_set (r->d->runs, FALSE, NULL, NULL);
  /* The device reboots ~100 ms after its answer: the connection drops. */
  g_usleep (100 * 1000);
  espy_sim_web_server_stop (r->d->web);
  g_usleep (r->d->boot_ms * 1000);
  if (!espy_sim_image_parse_marker (r->image, &version, &compilation_time))
    compilation_time = g_date_time_format (g_date_time_new_now_utc (), "%b %e %Y, %H:%M:%S");
  espy_sim_web_server_start (r->d->web, &error);
  g_assert_no_error (error);
  runs_set (r->d->runs, TRUE, version, compilation_time);
  g_bytes_unref (r->image);
  g_free (r);
  return NULL;
}

static void
web_upload_func (EspySimWebServer *server,
                 gboolean          ok,
                 GBytes           *image,
                 gpointer          user_data)
{
  Reboot *r;

  if (!ok)
    return;
  r = g_new0 (Reboot, 1);
  r->d = user_data;
  r->image = g_bytes_ref (image);
  g_thread_unref (g_thread_new ("web-reboot", web_reboot_thread, r));
}

static WebDev *
web_dev_new (const char        *name,
             EspySimWebFlavour  flavour,
             const char        *platform,
             gboolean           auth)
{
  WebDev *d = g_new0 (WebDev, 1);
  g_autoptr(GError) error = NULL;

  d->runs = runs_new (name);
  d->boot_ms = 200;
  d->web = espy_sim_web_server_new (flavour);
  espy_sim_web_server_set_platform (d->web, platform);
  if (auth)
    espy_sim_web_server_set_auth (d->web, WEB_USER, WEB_PASS);
  espy_sim_web_server_set_ping_interval (d->web, 0);
  espy_sim_web_server_set_upload_func (d->web, web_upload_func, d, NULL);
  g_assert_true (espy_sim_web_server_start (d->web, &error));
  g_assert_no_error (error);
  runs_set (d->runs, TRUE, OLD_VERSION, OLD_TIME);
  d->api = api_new (d->runs);
  return d;
}

static gboolean
web_dev_up (gpointer data)
{
  WebDev *d = data;
  gboolean up;

  g_mutex_lock (&d->runs->lock);
  up = d->runs->up;
  g_mutex_unlock (&d->runs->lock);
  return up && espy_sim_web_server_is_running (d->web);
}

static void
web_dev_free (WebDev *d)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (5000, wake_cb, &timed_out);

  /* A reboot thread may still run. */
  while (!web_dev_up (d) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  espy_sim_web_server_stop (d->web);
  g_object_unref (d->web);
  api_free (d->api);
  runs_unref (d->runs);
  g_free (d);
}

/* --- configs, devices, jobs ---------------------------------------------------- */

typedef struct {
  char            *dir;
  EspyDeviceStore *store;
  EspyInstallJob  *job;
  gboolean         done;
  gboolean         ok;
  GError          *error;
  GPtrArray       *log;
  EspyInstallAttempt *attempt;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("espy-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = espy_device_store_new ();
  espy_device_store_set_probe_interval (f->store, 0);
  f->log = g_ptr_array_new_with_free_func (g_free);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                                            G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        rm_rf (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->job != NULL)
    g_signal_handlers_disconnect_by_data (f->job, f);
  g_clear_object (&f->job);
  g_clear_object (&f->store);
  g_clear_error (&f->error);
  g_clear_pointer (&f->attempt, espy_install_attempt_unref);
  g_ptr_array_unref (f->log);
  rm_rf (f->dir);
  g_free (f->dir);
  g_unsetenv ("ESPHOME_STANDIN_FAIL");
  g_unsetenv ("ESPHOME_STANDIN_COMPILATION_TIME");
  g_unsetenv ("ESPHOME_STANDIN_VERSION");
}

/* A device only its address and name are known of (as "added by address"). */
static EspyDevice *
manual_device (Fixture    *f,
               const char *name)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  espy_device_info_set_name (info, name);
  espy_device_info_add_address (info, "127.0.0.1");
  g_assert_true (espy_device_store_update (f->store, ESPY_DEVICE_SOURCE_MANUAL, name, info));
  return espy_device_store_lookup (f->store, name);
}

/* Writes NAME.yaml into the fixture's folder and loads it. */
static EspyDeviceConfig *
write_config (Fixture    *f,
              const char *name,
              const char *body)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.yaml", f->dir, name);
  g_autofree char *text = g_strdup_printf ("esphome:\n  name: %s\n\nesp32:\n  board: esp32dev\n\n"
                                           "wifi:\n  use_address: 127.0.0.1\n\n%s", name, body);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  EspyDeviceConfig *config;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  config = espy_device_config_new_for_file (file, NULL, &error);
  g_assert_no_error (error);
  return config;
}

static EspyDevice *
config_device (Fixture          *f,
               EspyDeviceConfig *config)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new_for_config (config);
  g_autofree char *path = g_file_get_path (espy_device_config_get_file (config));

  g_assert_true (espy_device_store_update (f->store, ESPY_DEVICE_SOURCE_CONFIG, path, info));
  return espy_device_store_lookup (f->store, espy_device_config_get_name (config));
}

static EspyFirmwareImage *
make_image (const char *version,
            const char *compilation_time,
            gsize       size)
{
  g_autoptr(GBytes) bytes = espy_sim_make_image (size, version, compilation_time, 11);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);

  g_assert_no_error (error);
  return image;
}

static void
log_line_cb (EspyInstallJob *job,
             const char     *line,
             Fixture        *f)
{
  g_test_message ("log: %s", line);
  g_ptr_array_add (f->log, g_strdup (line));
}

static void
finished_cb (EspyInstallJob     *job,
             EspyInstallAttempt *attempt,
             Fixture            *f)
{
  g_assert_null (f->attempt);
  f->attempt = espy_install_attempt_ref (attempt);
}

static EspyInstallJob *
new_job (Fixture           *f,
         EspyDevice        *device,
         EspyFirmwareImage *image)
{
  f->job = espy_install_job_new (device, image);
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_reboot_timeout (f->job, 10000);
  espy_install_job_set_verify_timeout (f->job, 5000);
  /* The outcomes asserted below depend on the reads before and after the
   * upload; a loaded sanitizer run must not turn them into timeouts. */
  espy_install_job_set_api_timeout (f->job, 20000);
  espy_install_job_set_use_keyring (f->job, FALSE);
  g_signal_connect (f->job, "log-line", G_CALLBACK (log_line_cb), f);
  g_signal_connect (f->job, "finished", G_CALLBACK (finished_cb), f);
  return f->job;
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  Fixture *f = data;

  f->ok = espy_install_job_run_finish (ESPY_INSTALL_JOB (source), result, &f->error);
  f->done = TRUE;
}

static void
run_job (Fixture *f)
{
  espy_install_job_run_async (f->job, NULL, run_cb, f);
  g_assert_true (wait_flag (&f->done, 150000));
  /* ::finished came first, with the same outcome. */
  g_assert_nonnull (f->attempt);
  g_assert_cmpstr (f->attempt->result, ==, espy_install_state_to_nick (espy_install_job_get_state (f->job)));
}

static gboolean
log_has (Fixture    *f,
         const char *needle)
{
  for (guint i = 0; i < f->log->len; i++)
    if (strstr (g_ptr_array_index (f->log, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

/* No secret anywhere the job reports. */
static void
assert_no_secrets (Fixture *f)
{
  g_autofree char *json = espy_install_attempt_to_string (f->attempt);
  const char *secrets[] = { WEB_PASS, OTA_PASS };

  for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
    {
      g_assert_null (strstr (json, secrets[i]));
      g_assert_null (strstr (espy_install_job_get_log (f->job), secrets[i]));
      g_assert_null (strstr (espy_install_job_get_status_text (f->job), secrets[i]));
    }
}

/* --- web server flashing ------------------------------------------------------- */

static void
test_web_basic (Fixture       *f,
                gconstpointer  data)
{
  WebDev *d = web_dev_new ("porch", ESPY_SIM_WEB_FLAVOUR_ESP_IDF, "ESP32", TRUE);
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 64 * 1024);
  g_autoptr(GBytes) got = NULL;

  new_job (f, manual_device (f, "porch"), image);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_web_port (f->job, espy_sim_web_server_get_port (d->web));
  espy_install_job_set_api_port (f->job, d->api->port);
  espy_install_job_set_web_credentials (f->job, WEB_USER, WEB_PASS);
  espy_install_job_set_expected_version (f->job, NEW_VERSION);
  run_job (f);

  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (d->web), ==, 1);
  got = espy_sim_web_server_dup_last_image (d->web);
  g_assert_true (g_bytes_equal (got, espy_firmware_image_get_bytes (image)));
  g_assert_cmpint (espy_install_job_get_transport_used (f->job), ==, ESPY_INSTALL_TRANSPORT_WEB);
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, NEW_VERSION);
  g_assert_cmpstr (espy_install_job_get_new_compilation_time (f->job), ==, NEW_TIME);
  g_assert_cmpstr (espy_install_job_get_old_compilation_time (f->job), ==, OLD_TIME);
  /* The record: transport, bytes, stages in order, samples, the check. */
  g_assert_cmpstr (f->attempt->transport, ==, "web");
  g_assert_cmpstr (f->attempt->verify, ==, "new-build");
  g_assert_cmpuint (f->attempt->bytes_total, ==, 64 * 1024);
  g_assert_cmpuint (f->attempt->bytes_acked, ==, 64 * 1024);
  g_assert_cmpstr (f->attempt->image_md5, ==, espy_firmware_image_get_md5 (image));
  g_assert_cmpuint (f->attempt->stages->len, >=, 5);
  g_assert_cmpstr (g_array_index (f->attempt->stages, EspyInstallAttemptStage, 0).name, ==, "preparing");
  g_assert_cmpstr (g_array_index (f->attempt->stages, EspyInstallAttemptStage, f->attempt->stages->len - 1).name, ==, "verifying");
  g_assert_cmpuint (f->attempt->rate_samples->len, >=, 1);
  assert_no_secrets (f);
  web_dev_free (d);
}

/* Arduino flavour: challenges with Digest, accepts the preemptive Basic. */
static void
test_web_arduino (Fixture       *f,
                  gconstpointer  data)
{
  WebDev *d = web_dev_new ("garage", ESPY_SIM_WEB_FLAVOUR_ARDUINO, "ESP8266", TRUE);
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 32 * 1024);

  new_job (f, manual_device (f, "garage"), image);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_web_port (f->job, espy_sim_web_server_get_port (d->web));
  espy_install_job_set_api_port (f->job, d->api->port);
  espy_install_job_set_web_credentials (f->job, WEB_USER, WEB_PASS);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (d->web), ==, 1);
  web_dev_free (d);
}

static void
test_web_wrong_credentials (Fixture       *f,
                            gconstpointer  data)
{
  WebDev *d = web_dev_new ("porch", ESPY_SIM_WEB_FLAVOUR_ARDUINO, "ESP32", TRUE);
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 16 * 1024);

  new_job (f, manual_device (f, "porch"), image);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_web_port (f->job, espy_sim_web_server_get_port (d->web));
  espy_install_job_set_web_credentials (f->job, WEB_USER, "not-" WEB_PASS);
  run_job (f);
  g_assert_error (f->error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (d->web), ==, 0);
  g_assert_cmpstr (f->attempt->error_code, ==, "wrong-credentials");
  g_assert_cmpstr (f->attempt->error_domain, ==, "web-ota");
  g_assert_null (strstr (espy_install_job_get_log (f->job), "not-" WEB_PASS));
  web_dev_free (d);
}

/* Nobody gave credentials: the front end must ask. */
static void
test_web_no_credentials (Fixture       *f,
                         gconstpointer  data)
{
  WebDev *d = web_dev_new ("porch", ESPY_SIM_WEB_FLAVOUR_ESP_IDF, "ESP32", TRUE);
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 16 * 1024);

  new_job (f, manual_device (f, "porch"), image);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_web_port (f->job, espy_sim_web_server_get_port (d->web));
  run_job (f);
  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_PASSWORD_REQUIRED);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (d->web), ==, 0);
  web_dev_free (d);
}

/* An older ESP8266 names the reason in its answer; the job shows it. */
static void
test_web_failure_body (Fixture       *f,
                       gconstpointer  data)
{
  WebDev *d = web_dev_new ("attic", ESPY_SIM_WEB_FLAVOUR_ARDUINO, "ESP8266", FALSE);
  g_autoptr(GBytes) raw = espy_sim_make_image (16 * 1024, NEW_VERSION, NEW_TIME, 3);
  g_autoptr(GConverter) gzip = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6));
  g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_bytes (raw);
  g_autoptr(GInputStream) conv = g_converter_input_stream_new (mem, gzip);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) gz = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;

  espy_sim_web_server_set_generation (d->web, ESPY_SIM_GENERATION_2024_2);
  g_output_stream_splice (out, conv, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  gz = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  /* A gzip image passes Espy's check (ESP8266 takes compressed ones over
   * native OTA) but this web server wants 0xE9. */
  image = espy_firmware_image_new_from_bytes (gz, "firmware.bin.gz", &error);
  g_assert_no_error (error);

  new_job (f, manual_device (f, "attic"), image);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_web_port (f->job, espy_sim_web_server_get_port (d->web));
  run_job (f);
  g_assert_error (f->error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UPDATE_FAILED);
  g_assert_nonnull (strstr (f->error->message, "Magic"));
  g_assert_true (log_has (f, "Update Failed"));
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_UPLOADING);
  web_dev_free (d);
}

/* --- building ----------------------------------------------------------------- */

static void
test_build_success (Fixture       *f,
                    gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autofree char *body = g_strdup_printf ("api:\n  port: %u\n\nota:\n  - platform: esphome\n    port: %u\n",
                                           d->api->port, espy_sim_device_get_ota_port (d->sim));
  g_autoptr(EspyDeviceConfig) config = write_config (f, "kitchen", body);
  gboolean saw_building = FALSE;

  g_setenv ("ESPHOME_STANDIN_VERSION", NEW_VERSION, TRUE);
  new_job (f, config_device (f, config), NULL);
  espy_install_job_set_config (f->job, config);
  espy_install_job_set_expected_version (f->job, NEW_VERSION);
  g_signal_connect_swapped (f->job, "notify::building", G_CALLBACK (g_nullify_pointer), &saw_building);
  saw_building = TRUE;
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_false (saw_building);  /* notify::building fired */
  g_assert_nonnull (espy_install_job_get_image (f->job));
  g_assert_true (f->attempt->built);
  g_assert_cmpstr (g_array_index (f->attempt->stages, EspyInstallAttemptStage, 1).name, ==, "building");
  g_assert_true (log_has (f, "Compiling") || log_has (f, "Linking"));
  g_assert_cmpuint (espy_sim_device_get_upload_count (d->sim), ==, 1);
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, NEW_VERSION);
  g_assert_cmpstr (f->attempt->verify, ==, "new-build");
  g_assert_cmpstr (f->attempt->transport, ==, "ota");
  ota_dev_free (d);
}

static void
test_build_failure (Fixture       *f,
                    gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autofree char *body = g_strdup_printf ("ota:\n  - platform: esphome\n    port: %u\n",
                                           espy_sim_device_get_ota_port (d->sim));
  g_autoptr(EspyDeviceConfig) config = write_config (f, "kitchen", body);

  g_setenv ("ESPHOME_STANDIN_FAIL", "compile", TRUE);
  new_job (f, config_device (f, config), NULL);
  espy_install_job_set_config (f->job, config);
  run_job (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_PREPARING);
  g_assert_cmpuint (espy_sim_device_get_connection_count (d->sim), ==, 0);
  g_assert_cmpstr (f->attempt->error_code, ==, "compile-failed");
  g_assert_false (f->attempt->built);
  g_assert_cmpuint (f->log->len, >, 2);
  ota_dev_free (d);
}

/* --- transport choice --------------------------------------------------------- */

/* Native OTA and web OTA both configured; the OTA port is closed: web. */
static void
test_auto_fallback (Fixture       *f,
                    gconstpointer  data)
{
  WebDev *d = web_dev_new ("shed", ESPY_SIM_WEB_FLAVOUR_ESP_IDF, "ESP32", TRUE);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *secrets = NULL;
  g_autofree char *secrets_path = g_build_filename (f->dir, "secrets.yaml", NULL);
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 32 * 1024);
  guint16 closed;

  closed = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  /* Credentials from the YAML's !secret, as ESPHome reads them. */
  secrets = g_strdup_printf ("web_password: \"%s\"\n", WEB_PASS);
  g_assert_true (g_file_set_contents (secrets_path, secrets, -1, NULL));
  body = g_strdup_printf ("api:\n  port: %u\n\nweb_server:\n  port: %u\n  auth:\n    username: %s\n"
                          "    password: !secret web_password\n\n"
                          "ota:\n  - platform: esphome\n    port: %u\n  - platform: web_server\n",
                          d->api->port, espy_sim_web_server_get_port (d->web), WEB_USER, closed);
  config = write_config (f, "shed", body);

  new_job (f, config_device (f, config), image);
  espy_install_job_set_config (f->job, config);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_cmpint (espy_install_job_get_transport_used (f->job), ==, ESPY_INSTALL_TRANSPORT_WEB);
  g_assert_nonnull (strstr (espy_install_job_get_transport_reason (f->job), "web server OTA"));
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (d->web), ==, 1);
  g_assert_true (log_has (f, "from the configuration"));
  assert_no_secrets (f);
  web_dev_free (d);
}

/* Only native OTA configured, its port answers: OTA, no web attempt. */
static void
test_auto_ota (Fixture       *f,
               gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", OTA_PASS);
  g_autofree char *secrets_path = g_build_filename (f->dir, "secrets.yaml", NULL);
  g_autofree char *secrets = g_strdup_printf ("ota_password: \"%s\"\n", OTA_PASS);
  g_autofree char *body = g_strdup_printf ("api:\n  port: %u\n\nota:\n  - platform: esphome\n    port: %u\n"
                                           "    password: !secret ota_password\n",
                                           d->api->port, espy_sim_device_get_ota_port (d->sim));
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 32 * 1024);

  g_assert_true (g_file_set_contents (secrets_path, secrets, -1, NULL));
  config = write_config (f, "kitchen", body);
  new_job (f, config_device (f, config), image);
  espy_install_job_set_config (f->job, config);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_cmpint (espy_install_job_get_transport_used (f->job), ==, ESPY_INSTALL_TRANSPORT_OTA);
  g_assert_cmpuint (espy_sim_device_get_upload_count (d->sim), ==, 1);
  assert_no_secrets (f);
  ota_dev_free (d);
}

/* --- the check after the reboot -------------------------------------------------- */

/* The image is the build the device already runs (same compilation time):
 * it comes back reporting the old build. */
static void
test_verify_old_firmware (Fixture       *f,
                          gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autoptr(EspyFirmwareImage) image = make_image (OLD_VERSION, OLD_TIME, 32 * 1024);

  new_job (f, manual_device (f, "kitchen"), image);
  espy_install_job_set_host (f->job, "127.0.0.1");
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  espy_install_job_set_api_port (f->job, d->api->port);
  run_job (f);
  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE);
  g_assert_nonnull (strstr (f->error->message, "still runs the old firmware"));
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_VERIFYING);
  g_assert_cmpuint (espy_sim_device_get_upload_count (d->sim), ==, 1);
  g_assert_cmpstr (f->attempt->verify, ==, "old-build");
  g_assert_cmpstr (f->attempt->error_code, ==, "old-firmware");
  ota_dev_free (d);
}

/* The expected version differs from what comes back. */
static void
test_verify_wrong_version (Fixture       *f,
                           gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autoptr(EspyFirmwareImage) image = make_image (OLD_VERSION, NEW_TIME, 32 * 1024);

  new_job (f, manual_device (f, "kitchen"), image);
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  espy_install_job_set_api_port (f->job, d->api->port);
  espy_install_job_set_expected_version (f->job, NEW_VERSION);
  run_job (f);
  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE);
  ota_dev_free (d);
}

static void
test_verify_new_build (Fixture       *f,
                       gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autoptr(EspyFirmwareImage) image = make_image (OLD_VERSION, NEW_TIME, 32 * 1024);

  new_job (f, manual_device (f, "kitchen"), image);
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  espy_install_job_set_api_port (f->job, d->api->port);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_cmpstr (espy_install_job_get_new_compilation_time (f->job), ==, NEW_TIME);
  g_assert_cmpstr (f->attempt->verify, ==, "new-build");
  ota_dev_free (d);
}

/* Takes a connection and holds it without a word, like a hung API. */
static gboolean
hold_connection_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source_object,
                    gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

/* An API port that takes the connection but never answers: the read before
 * the upload gives up after the job's API timeout (the message says how
 * long: 1 s, not the 4 s default), and the upload goes on. */
static void
test_verify_api_timeout (Fixture       *f,
                         gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("kitchen", NULL);
  g_autoptr(GSocketService) silent = g_socket_service_new ();
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EspyFirmwareImage) image = make_image (OLD_VERSION, NEW_TIME, 32 * 1024);
  g_autoptr(GError) error = NULL;
  guint16 silent_port;

  silent_port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (silent), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (silent, "incoming", G_CALLBACK (hold_connection_cb), held);
  new_job (f, manual_device (f, "kitchen"), image);
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  espy_install_job_set_api_port (f->job, silent_port);
  espy_install_job_set_api_timeout (f->job, 300);
  espy_install_job_set_verify_timeout (f->job, 300);
  espy_install_job_set_log_capture_timeout (f->job, 0);
  run_job (f);
  g_assert_true (log_has (f, "Could not read the device information before the upload: "
                             "The device did not complete the connection within 1 seconds"));
  g_assert_cmpuint (espy_sim_device_get_upload_count (d->sim), ==, 1);
  g_assert_cmpuint (held->len, >=, 1);
  g_socket_service_stop (silent);
  ota_dev_free (d);
}

/* --- the keyring ------------------------------------------------------------- */

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_secrets_store_finish (result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  espy_secrets_clear_finish (result, NULL, NULL);
  *(gboolean *) data = TRUE;
}

static void
test_keyring (Fixture       *f,
              gconstpointer  data)
{
  OtaDev *d = ota_dev_new ("cellar", OTA_PASS);
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 16 * 1024);
  gboolean stored = FALSE, cleared = FALSE;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no session bus (run inside tests/test-env.sh)");
      ota_dev_free (d);
      return;
    }

  /* Nothing stored, nothing configured: the job says a password is needed. */
  espy_secrets_clear_async ("cellar", ESPY_SECRET_KIND_OTA_PASSWORD, NULL, clear_cb, &cleared);
  g_assert_true (wait_flag (&cleared, 10000));
  new_job (f, manual_device (f, "cellar"), image);
  espy_install_job_set_use_keyring (f->job, TRUE);
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  run_job (f);
  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_PASSWORD_REQUIRED);
  g_signal_handlers_disconnect_by_data (f->job, f);
  g_clear_object (&f->job);
  g_clear_error (&f->error);
  g_clear_pointer (&f->attempt, espy_install_attempt_unref);
  f->done = FALSE;

  /* What the dialog's "Remember in keyring" stores after a success. */
  espy_secrets_store_async ("cellar", ESPY_SECRET_KIND_OTA_PASSWORD, OTA_PASS, NULL, store_cb, &stored);
  g_assert_true (wait_flag (&stored, 10000));
  new_job (f, manual_device (f, "cellar"), image);
  espy_install_job_set_use_keyring (f->job, TRUE);
  espy_install_job_set_ota_port (f->job, espy_sim_device_get_ota_port (d->sim));
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_true (log_has (f, "from the keyring"));
  g_assert_cmpuint (espy_sim_device_get_upload_count (d->sim), ==, 1);
  assert_no_secrets (f);

  cleared = FALSE;
  espy_secrets_clear_async ("cellar", ESPY_SECRET_KIND_OTA_PASSWORD, NULL, clear_cb, &cleared);
  g_assert_true (wait_flag (&cleared, 10000));
  ota_dev_free (d);
}

/* --- the record ------------------------------------------------------------------ */

static void
test_attempt_json (void)
{
  g_autoptr(EspyInstallAttempt) a = espy_install_attempt_new ();
  g_autoptr(EspyInstallAttempt) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;

  espy_install_attempt_set_string (a, &a->device_name, "kitchen");
  espy_install_attempt_set_string (a, &a->error_code, "old-firmware");
  a->device_code = 0x89;
  a->bytes_total = 123456;
  a->built = TRUE;
  espy_install_attempt_enter_stage (a, "preparing", 10);
  espy_install_attempt_enter_stage (a, "uploading", 20);
  espy_install_attempt_enter_stage (a, NULL, 30);
  espy_install_attempt_add_sample (a, 250, 1000, 900);
  text = espy_install_attempt_to_string (a);
  b = espy_install_attempt_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->device_name, ==, "kitchen");
  g_assert_cmpstr (b->error_code, ==, "old-firmware");
  g_assert_cmpint (b->device_code, ==, 0x89);
  g_assert_cmpuint (b->bytes_total, ==, 123456);
  g_assert_true (b->built);
  g_assert_cmpuint (b->stages->len, ==, 2);
  g_assert_cmpint (g_array_index (b->stages, EspyInstallAttemptStage, 0).finished, ==, 20);
  g_assert_cmpint (g_array_index (b->stages, EspyInstallAttemptStage, 1).finished, ==, 30);
  g_assert_cmpuint (g_array_index (b->rate_samples, EspyInstallRateSample, 0).acked, ==, 900);
  again = espy_install_attempt_to_string (b);
  g_assert_cmpstr (text, ==, again);

  g_clear_pointer (&b, espy_install_attempt_unref);
  b = espy_install_attempt_from_string ("{\"stages\": 3}", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (b);
  g_clear_error (&error);
  b = espy_install_attempt_from_string ("{\"device_code\": \"x\"}", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* --- Update All ---------------------------------------------------------------- */

#define QUEUE_N      20
#define QUEUE_FAILS  2

typedef struct {
  EspyDeviceStore *store;
  OtaDev          *devs[QUEUE_N];
  guint            running;
  guint            max_running;
  guint            busy;
  guint            free;
} Queue;

static EspyInstallJob *
queue_make_job (EspyDevice *device,
                gpointer    user_data)
{
  Queue *q = user_data;
  g_autoptr(EspyFirmwareImage) image = make_image (NEW_VERSION, NEW_TIME, 48 * 1024);
  EspyInstallJob *job = espy_install_job_new (device, image);
  guint i;

  for (i = 0; i < QUEUE_N; i++)
    if (g_str_equal (espy_sim_device_get_name (q->devs[i]->sim), espy_device_get_name (device)))
      break;
  g_assert_cmpuint (i, <, QUEUE_N);
  espy_install_job_set_ota_port (job, espy_sim_device_get_ota_port (q->devs[i]->sim));
  espy_install_job_set_api_port (job, q->devs[i]->api->port);
  espy_install_job_set_ota_retries (job, 0, 10);
  espy_install_job_set_use_keyring (job, FALSE);
  return job;
}

static void
queue_started_cb (EspyInstallManager *m,
                  EspyInstallJob     *job,
                  Queue              *q)
{
  q->running++;
  q->max_running = MAX (q->max_running, q->running);
}

static void
queue_finished_cb (EspyInstallManager *m,
                   EspyInstallJob     *job,
                   Queue              *q)
{
  q->running--;
}

static void
queue_busy_cb (EspyInstallManager *m,
               const char         *name,
               Queue              *q)
{
  q->busy++;
}

static void
queue_free_cb (EspyInstallManager *m,
               const char         *name,
               Queue              *q)
{
  q->free++;
}

typedef struct {
  gboolean          done;
  gboolean          ok;
  EspyUpdateSummary summary;
  GError           *error;
} QueueResult;

static void
queue_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  QueueResult *r = data;

  r->ok = espy_install_manager_update_all_finish (ESPY_INSTALL_MANAGER (source), result, &r->summary, &r->error);
  r->done = TRUE;
}

static void
test_update_all (void)
{
  g_autoptr(EspyInstallManager) manager = espy_install_manager_new ();
  g_autoptr(GListStore) devices = g_list_store_new (ESPY_TYPE_DEVICE);
  g_autofree char *summary = NULL;
  EspyUpdateOptions options = { 0 };
  Queue q = { 0 };
  QueueResult r = { 0 };

  q.store = espy_device_store_new ();
  espy_device_store_set_probe_interval (q.store, 0);
  for (guint i = 0; i < QUEUE_N; i++)
    {
      g_autofree char *name = g_strdup_printf ("node-%02u", i);
      g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

      q.devs[i] = ota_dev_new (name, NULL);
      /* Two devices have no room for the image. */
      if (i == 3 || i == 11)
        espy_sim_device_add_fault (q.devs[i]->sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89);
      espy_device_info_set_name (info, name);
      espy_device_info_add_address (info, "127.0.0.1");
      espy_device_info_set_version (info, OLD_VERSION);
      /* As mDNS announces it: online. */
      g_assert_true (espy_device_store_update (q.store, ESPY_DEVICE_SOURCE_MDNS, name, info));
      g_list_store_append (devices, espy_device_store_lookup (q.store, name));
    }

  g_signal_connect (manager, "job-started", G_CALLBACK (queue_started_cb), &q);
  g_signal_connect (manager, "job-finished", G_CALLBACK (queue_finished_cb), &q);
  g_signal_connect (manager, "device-busy", G_CALLBACK (queue_busy_cb), &q);
  g_signal_connect (manager, "device-free", G_CALLBACK (queue_free_cb), &q);
  options.make_job = queue_make_job;
  options.user_data = &q;
  options.offline = ESPY_UPDATE_OFFLINE_SKIP;
  espy_install_manager_update_all_async (manager, G_LIST_MODEL (devices), &options, NULL, queue_done_cb, &r);
  g_assert_true (wait_flag (&r.done, 120000));

  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (r.summary.n_succeeded, ==, QUEUE_N - QUEUE_FAILS);
  g_assert_cmpuint (r.summary.n_failed, ==, QUEUE_FAILS);
  g_assert_cmpuint (r.summary.n_skipped, ==, 0);
  g_assert_cmpuint (q.max_running, ==, ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL);
  g_assert_cmpuint (q.busy, ==, QUEUE_N);
  g_assert_cmpuint (q.free, ==, QUEUE_N);
  for (guint i = 0; i < QUEUE_N; i++)
    g_assert_cmpuint (espy_sim_device_get_upload_count (q.devs[i]->sim), ==, (i == 3 || i == 11) ? 0 : 1);
  summary = espy_update_summary_to_string (&r.summary);
  g_assert_cmpstr (summary, ==, "18 installed, 2 failed, 0 skipped");

  for (guint i = 0; i < QUEUE_N; i++)
    ota_dev_free (q.devs[i]);
  g_object_unref (q.store);
}

/* Offline devices: skipped, or waited for until the timeout. */
static void
test_update_offline (void)
{
  g_autoptr(EspyInstallManager) manager = espy_install_manager_new ();
  g_autoptr(GListStore) devices = g_list_store_new (ESPY_TYPE_DEVICE);
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();
  EspyUpdateOptions options = { 0 };
  QueueResult r = { 0 };
  Queue q = { 0 };

  espy_device_store_set_probe_interval (store, 0);
  espy_device_info_set_name (info, "sleepy");
  espy_device_info_add_address (info, "127.0.0.1");
  g_assert_true (espy_device_store_update (store, ESPY_DEVICE_SOURCE_MANUAL, "sleepy", info));
  g_list_store_append (devices, espy_device_store_lookup (store, "sleepy"));
  g_assert_false (espy_device_get_online (espy_device_store_lookup (store, "sleepy")));

  options.make_job = queue_make_job;
  options.user_data = &q;
  options.offline = ESPY_UPDATE_OFFLINE_SKIP;
  espy_install_manager_update_all_async (manager, G_LIST_MODEL (devices), &options, NULL, queue_done_cb, &r);
  g_assert_true (wait_flag (&r.done, 5000));
  g_assert_cmpuint (r.summary.n_skipped, ==, 1);

  memset (&r, 0, sizeof r);
  options.offline = ESPY_UPDATE_OFFLINE_WAIT;
  options.offline_timeout_ms = 300;
  espy_install_manager_update_all_async (manager, G_LIST_MODEL (devices), &options, NULL, queue_done_cb, &r);
  g_assert_true (wait_flag (&r.done, 5000));
  g_assert_cmpuint (r.summary.n_skipped, ==, 1);
  g_assert_cmpuint (r.summary.n_succeeded, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* Run the stand-in with the system Python directly: a version manager's
   * shim in front of python3 can take seconds per start on a busy host. */
  if (g_getenv ("ESPY_ESPHOME") != NULL && g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
      && strchr (g_getenv ("ESPY_ESPHOME"), ' ') == NULL)
    {
      g_autofree char *command = g_strdup_printf ("/usr/bin/python3 %s", g_getenv ("ESPY_ESPHOME"));

      g_setenv ("ESPY_ESPHOME", command, TRUE);
    }

#define E2E(path, fn) \
  g_test_add ("/install-e2e/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  E2E ("web/basic", test_web_basic);
  E2E ("web/arduino", test_web_arduino);
  E2E ("web/wrong-credentials", test_web_wrong_credentials);
  E2E ("web/no-credentials", test_web_no_credentials);
  E2E ("web/failure-body", test_web_failure_body);
  E2E ("build/success", test_build_success);
  E2E ("build/failure", test_build_failure);
  E2E ("transport/auto-fallback", test_auto_fallback);
  E2E ("transport/auto-ota", test_auto_ota);
  E2E ("verify/old-firmware", test_verify_old_firmware);
  E2E ("verify/wrong-version", test_verify_wrong_version);
  E2E ("verify/new-build", test_verify_new_build);
  E2E ("verify/api-timeout", test_verify_api_timeout);
  E2E ("keyring", test_keyring);
  g_test_add_func ("/install-e2e/attempt-json", test_attempt_json);
  g_test_add_func ("/install-e2e/update-all", test_update_all);
  g_test_add_func ("/install-e2e/update-offline", test_update_offline);

  return g_test_run ();
}
