/* test-install-job.c: the install job's state machine (with how it sees
 * the device back after the reboot, and the device log it records around a
 * failure) and the install manager's queue, against in-process simulated
 * devices over real sockets.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-diagnosis.h"
#include "espy-device-store.h"
#include "espy-history.h"
#include "espy-install-job.h"
#include "espy-install-manager.h"
#include "espy-ota-error.h"
#include "espy-sim-device.h"
#include "espy-web-ota-client.h"

#define OLD_VERSION "2025.10.0"
#define NEW_VERSION "2026.1.0"

/* --- helpers -------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_until (gboolean (*cond) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, wake_cb, &timed_out);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return cond (data);
}

/* One simulated device in a store, as mDNS would announce it. */
typedef struct {
  EspySimDevice   *sim;
  EspyDeviceStore *store;
  EspyDevice      *device;  /* owned by the store */
  char            *name;
} Dev;

static void
announce (Dev        *d,
          const char *version)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  espy_device_info_set_name (info, d->name);
  espy_device_info_add_address (info, "127.0.0.1");
  info->ota_port = espy_sim_device_get_ota_port (d->sim);
  espy_device_info_set_platform (info, "ESP32");
  espy_device_info_set_version (info, version);
  g_assert_true (espy_device_store_update (d->store, ESPY_DEVICE_SOURCE_MDNS, d->name, info));
}

/* mDNS sees the device again after its reboot, with what it runs now. */
static void
sim_state_cb (EspySimDevice *sim,
              guint          state,
              Dev           *d)
{
  if (state == ESPY_SIM_STATE_RUNNING && espy_sim_device_get_upload_count (sim) > 0)
    announce (d, espy_sim_device_get_version (sim));
}

static Dev *
dev_new (EspyDeviceStore *store,
         const char      *name)
{
  Dev *d = g_new0 (Dev, 1);

  d->name = g_strdup (name);
  d->store = g_object_ref (store);
  d->sim = espy_sim_device_new (name);
  espy_sim_device_set_platform (d->sim, "ESP32");
  espy_sim_device_set_version (d->sim, OLD_VERSION);
  espy_sim_device_set_boot_ms (d->sim, 200);
  g_signal_connect (d->sim, "state-changed", G_CALLBACK (sim_state_cb), d);
  return d;
}

static void
dev_start (Dev *d)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_sim_device_start (d->sim, &error));
  g_assert_no_error (error);
  announce (d, OLD_VERSION);
  d->device = espy_device_store_lookup (d->store, d->name);
  g_assert_nonnull (d->device);
}

static void
dev_free (Dev *d)
{
  g_signal_handlers_disconnect_by_data (d->sim, d);
  espy_sim_device_stop (d->sim);
  g_object_unref (d->sim);
  g_object_unref (d->store);
  g_free (d->name);
  g_free (d);
}

static EspyFirmwareImage *
make_image (gsize       size,
            const char *version,
            guint32     seed)
{
  g_autoptr(GBytes) bytes = espy_sim_make_image (size, version, "Jan 10 2026, 12:00:00", seed);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_new_from_bytes (bytes, "test.bin", &error);

  g_assert_no_error (error);
  return image;
}

typedef struct {
  EspyDeviceStore  *store;
  Dev              *dev;
  EspyInstallJob   *job;
  GArray           *states;   /* EspyInstallState, each one entered */
  gboolean          done;
  gboolean          ok;
  GError           *error;
  gboolean          cancel_in_uploading;
  gboolean          cancel_in_rebooting;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->store = espy_device_store_new ();
  espy_device_store_set_probe_interval (f->store, 0);
  f->dev = dev_new (f->store, "kitchen");
  f->states = g_array_new (FALSE, FALSE, sizeof (EspyInstallState));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->job != NULL)
    g_signal_handlers_disconnect_by_data (f->job, f);
  g_clear_object (&f->job);
  dev_free (f->dev);
  g_clear_object (&f->store);
  g_array_unref (f->states);
  g_clear_error (&f->error);
}

static void
state_changed_cb (EspyInstallJob   *job,
                  EspyInstallState  old_state,
                  EspyInstallState  new_state,
                  Fixture          *f)
{
  g_array_append_val (f->states, new_state);
  if (f->cancel_in_rebooting && new_state == ESPY_INSTALL_STATE_REBOOTING)
    espy_install_job_cancel (job);
}

static void
progress_cb (EspyInstallJob *job,
             GParamSpec     *pspec,
             Fixture        *f)
{
  if (f->cancel_in_uploading && espy_install_job_get_bytes_sent (job) > 0
      && espy_install_job_get_state (job) == ESPY_INSTALL_STATE_UPLOADING)
    espy_install_job_cancel (job);
}

static EspyInstallJob *
new_job (Fixture    *f,
         gsize       size,
         const char *version)
{
  g_autoptr(EspyFirmwareImage) image = make_image (size, version, 7);

  f->job = espy_install_job_new (f->dev->device, image);
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_reboot_timeout (f->job, 10000);
  /* The verdicts asserted below need the reads before and after the upload. */
  espy_install_job_set_api_timeout (f->job, 20000);
  g_signal_connect (f->job, "state-changed", G_CALLBACK (state_changed_cb), f);
  g_signal_connect (f->job, "notify::bytes-sent", G_CALLBACK (progress_cb), f);
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

static gboolean
done_cond (gpointer data)
{
  return ((Fixture *) data)->done;
}

static void
run_job (Fixture *f)
{
  espy_install_job_run_async (f->job, NULL, run_cb, f);
  g_assert_true (wait_until (done_cond, f, 30000));
}

static void
assert_states (Fixture                *f,
               const EspyInstallState *expected,
               guint                   n)
{
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);
  guint i;

  for (i = 0; i < f->states->len; i++)
    g_string_append_printf (got, "%s ", espy_install_state_to_nick (g_array_index (f->states, EspyInstallState, i)));
  for (i = 0; i < n; i++)
    g_string_append_printf (want, "%s ", espy_install_state_to_nick (expected[i]));
  g_assert_cmpstr (got->str, ==, want->str);
}

/* --- job tests ------------------------------------------------------------- */

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  static const EspyInstallState expected[] = {
    ESPY_INSTALL_STATE_PREPARING, ESPY_INSTALL_STATE_CONNECTING, ESPY_INSTALL_STATE_UPLOADING,
    ESPY_INSTALL_STATE_REBOOTING, ESPY_INSTALL_STATE_VERIFYING, ESPY_INSTALL_STATE_SUCCEEDED,
  };
  gint64 before = g_get_real_time ();

  espy_sim_device_set_password (f->dev->sim, "secret");
  dev_start (f->dev);
  new_job (f, 100 * 1024, NEW_VERSION);
  espy_install_job_set_password (f->job, "secret");
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_PENDING);
  g_assert_cmpstr (espy_install_job_get_device_name (f->job), ==, "kitchen");

  run_job (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  assert_states (f, expected, G_N_ELEMENTS (expected));
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_PENDING);
  g_assert_cmpfloat (espy_install_job_get_fraction (f->job), ==, 1.0);
  g_assert_cmpuint (espy_install_job_get_bytes_sent (f->job), ==, espy_install_job_get_bytes_total (f->job));
  g_assert_cmpuint (espy_install_job_get_bytes_total (f->job), >, 0);
  g_assert_cmpstr (espy_install_job_get_old_version (f->job), ==, OLD_VERSION);
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, NEW_VERSION);
  g_assert_cmpstr (espy_device_get_version (f->dev->device), ==, NEW_VERSION);
  g_assert_null (espy_install_job_get_error (f->job));
  g_assert_cmpint (espy_install_job_get_device_code (f->job), ==, -1);
  g_assert_cmpint (espy_install_job_get_started (f->job), >=, before);
  g_assert_cmpint (espy_install_job_get_finished (f->job), >=, espy_install_job_get_started (f->job));
  g_assert_true (espy_install_job_is_final (f->job));
  g_assert_nonnull (strstr (espy_install_job_get_status_text (f->job), NEW_VERSION));
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->dev->sim), ==, 1);

  /* A job runs once. */
  f->done = FALSE;
  run_job (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PENDING);
}

/* A rebuild of the same ESPHome version: back is enough, no wait for mDNS
 * beyond the verify timeout. */
static void
test_same_version (Fixture       *f,
                   gconstpointer  data)
{
  dev_start (f->dev);
  new_job (f, 20 * 1024, OLD_VERSION);
  espy_install_job_set_verify_timeout (f->job, 300);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, OLD_VERSION);
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  static const EspyInstallState expected[] = {
    ESPY_INSTALL_STATE_PREPARING, ESPY_INSTALL_STATE_CONNECTING, ESPY_INSTALL_STATE_FAILED,
  };

  espy_sim_device_set_generation (f->dev->sim, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (f->dev->sim, "right");
  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  espy_install_job_set_password (f->job, "wrong");
  run_job (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_FAILED);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_CONNECTING);
  g_assert_error ((GError *) espy_install_job_get_error (f->job), ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
  g_assert_cmpstr (espy_install_job_get_status_text (f->job), ==, f->error->message);
  g_assert_null (strstr (f->error->message, "wrong"));
  g_assert_null (strstr (f->error->message, "right"));
  assert_states (f, expected, G_N_ELEMENTS (expected));
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->dev->sim), ==, 0);
}

static void
test_device_error (Fixture       *f,
                   gconstpointer  data)
{
  espy_sim_device_add_fault (f->dev->sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89);
  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  run_job (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_UPLOADING);
  g_assert_cmpint (espy_install_job_get_device_code (f->job), ==, 0x89);
}

/* The web transport when asked for: nothing listens on the web port, so
 * the web client's connect error, and the native OTA port is left alone.
 * (Web uploads that work are in test-install-e2e.) */
static void
test_web_refused (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 closed_port;

  /* A port that was free a moment ago, closed again. */
  closed_port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  espy_install_job_set_transport (f->job, ESPY_INSTALL_TRANSPORT_WEB);
  espy_install_job_set_host (f->job, "127.0.0.1");
  espy_install_job_set_web_port (f->job, closed_port);
  run_job (f);
  g_assert_error (f->error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_CONNECT);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_CONNECTING);
  g_assert_cmpint (espy_install_job_get_transport_used (f->job), ==, ESPY_INSTALL_TRANSPORT_WEB);
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->dev->sim), ==, 0);
}

static void
test_cancel_uploading (Fixture       *f,
                       gconstpointer  data)
{
  espy_sim_device_set_flash_rate (f->dev->sim, 64 * 1024);
  dev_start (f->dev);
  new_job (f, 256 * 1024, NEW_VERSION);
  f->cancel_in_uploading = TRUE;
  run_job (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_CANCELLED);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_PENDING);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->dev->sim), ==, 0);
  /* Cancelling a final job does nothing. */
  espy_install_job_cancel (f->job);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_CANCELLED);
}

static void
test_cancel_rebooting (Fixture       *f,
                       gconstpointer  data)
{
  gint64 start;

  espy_sim_device_set_boot_ms (f->dev->sim, 20000);
  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  f->cancel_in_rebooting = TRUE;
  start = g_get_monotonic_time ();
  run_job (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_cancel_pending (Fixture       *f,
                     gconstpointer  data)
{
  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  espy_install_job_cancel (f->job);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_CANCELLED);
  run_job (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->dev->sim), ==, 0);
}

static void
test_caller_cancellable (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  espy_sim_device_set_flash_rate (f->dev->sim, 32 * 1024);
  dev_start (f->dev);
  new_job (f, 256 * 1024, NEW_VERSION);
  espy_install_job_run_async (f->job, cancellable, run_cb, f);
  g_timeout_add_once (300, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  g_assert_true (wait_until (done_cond, f, 30000));
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (espy_install_job_get_state (f->job), ==, ESPY_INSTALL_STATE_CANCELLED);
}

static void
test_not_back (Fixture       *f,
               gconstpointer  data)
{
  static const EspyInstallState expected[] = {
    ESPY_INSTALL_STATE_PREPARING, ESPY_INSTALL_STATE_CONNECTING, ESPY_INSTALL_STATE_UPLOADING,
    ESPY_INSTALL_STATE_REBOOTING, ESPY_INSTALL_STATE_FAILED,
  };
  gint64 start;
  gint64 elapsed;

  espy_sim_device_set_boot_ms (f->dev->sim, 30000);
  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  espy_install_job_set_reboot_timeout (f->job, 2000);
  start = g_get_monotonic_time ();
  run_job (f);
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NOT_BACK);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_REBOOTING);
  assert_states (f, expected, G_N_ELEMENTS (expected));
  g_assert_nonnull (strstr (f->error->message, "did not come back"));
  g_assert_nonnull (strstr (f->error->message, "2 seconds"));
  /* Bounded: the timeout plus at most one probe. */
  g_assert_cmpint (elapsed, <, 6 * G_USEC_PER_SEC);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->dev->sim), ==, 1);
}

/* The run holds the job: a caller that lets go still gets its answer. */
static void
test_dropped_refs (Fixture       *f,
                   gconstpointer  data)
{
  EspyInstallJob *job;
  gpointer weak;

  dev_start (f->dev);
  job = new_job (f, 20 * 1024, NEW_VERSION);
  f->job = NULL;
  weak = job;
  g_object_add_weak_pointer (G_OBJECT (job), &weak);
  espy_install_job_run_async (job, NULL, run_cb, f);
  g_object_unref (job);
  g_assert_nonnull (weak);
  g_assert_true (wait_until (done_cond, f, 30000));
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->dev->sim), ==, 1);
  /* ...and nothing keeps it afterwards. */
  g_assert_null (weak);
}

/* --- back after the reboot: mDNS, the API, the port ------------------------------ */

/* A TCP relay to the simulator's OTA port that the test can close for good:
 * a device whose OTA port does not come back after the reboot. */
typedef struct {
  GSocketService *service;
  guint16         port;
  guint16         target;
} Relay;

static void
relay_spliced_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_io_stream_splice_finish (result, NULL);
}

static gboolean
relay_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   Relay             *relay)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) upstream = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  upstream = g_socket_client_connect_to_host (client, "127.0.0.1", relay->target, NULL, NULL);
  if (upstream == NULL)
    return TRUE;
  g_io_stream_splice_async (G_IO_STREAM (connection), G_IO_STREAM (upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, relay_spliced_cb, NULL);
  return TRUE;
}

static Relay *
relay_new (guint16 target)
{
  Relay *relay = g_new0 (Relay, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  relay->target = target;
  relay->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (relay->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (relay->service, "incoming", G_CALLBACK (relay_incoming_cb), relay);
  g_socket_service_start (relay->service);
  return relay;
}

/* Connections to the port are refused from now on. */
static void
relay_close (Relay *relay)
{
  if (relay->service == NULL)
    return;
  g_socket_service_stop (relay->service);
  g_socket_listener_close (G_SOCKET_LISTENER (relay->service));
  g_clear_object (&relay->service);
}

static void
relay_free (Relay *relay)
{
  relay_close (relay);
  g_free (relay);
}

static void
close_relay_on_upload_cb (EspySimDevice *sim,
                          gboolean       ok,
                          guint8         code,
                          Relay         *relay)
{
  if (ok)
    relay_close (relay);
}

static gboolean
log_has (EspyInstallJob *job,
         const char     *needle)
{
  return strstr (espy_install_job_get_log (job), needle) != NULL;
}

static gboolean
lines_have (const char * const *lines,
            const char         *needle)
{
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

/* The device as only a manual entry knows it: no mDNS. */
static EspyDevice *
manual_device (Fixture *f,
               guint16  ota_port,
               guint16  api_port)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  espy_device_info_set_name (info, f->dev->name);
  espy_device_info_add_address (info, "127.0.0.1");
  espy_device_info_set_platform (info, "ESP32");
  espy_device_info_set_version (info, OLD_VERSION);
  info->ota_port = ota_port;
  info->api_port = api_port;
  g_assert_true (espy_device_store_update (f->store, ESPY_DEVICE_SOURCE_MANUAL, f->dev->name, info));
  return espy_device_store_lookup (f->store, f->dev->name);
}

static void
start_sim (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_sim_device_start (f->dev->sim, &error));
  g_assert_no_error (error);
}

/* The OTA port stays closed after the reboot; mDNS sees the device again. */
static void
test_back_by_mdns (Fixture       *f,
                   gconstpointer  data)
{
  Relay *relay;

  dev_start (f->dev);
  relay = relay_new (espy_sim_device_get_ota_port (f->dev->sim));
  g_signal_connect (f->dev->sim, "upload-finished", G_CALLBACK (close_relay_on_upload_cb), relay);
  new_job (f, 20 * 1024, NEW_VERSION);
  espy_install_job_set_ota_port (f->job, relay->port);
  espy_install_job_set_reboot_timeout (f->job, 4000);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_null (relay->service);
  g_assert_true (log_has (f->job, "announced over mDNS"));
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, NEW_VERSION);
  /* A success records no device log. */
  g_assert_null (espy_install_job_get_device_log (f->job));
  g_signal_handlers_disconnect_by_data (f->dev->sim, relay);
  relay_free (relay);
}

/* The OTA port stays closed after the reboot, mDNS does not know the
 * device; its API port answers, and the API says what it runs. */
static void
test_back_by_api (Fixture       *f,
                  gconstpointer  data)
{
  Relay *relay;
  EspyDevice *device;
  guint16 api_port;

  espy_sim_device_set_compilation_time (f->dev->sim, "Jan  1 2026, 08:00:00");
  espy_sim_device_set_api_port (f->dev->sim, 0);
  start_sim (f);
  api_port = espy_sim_device_get_api_port (f->dev->sim);
  relay = relay_new (espy_sim_device_get_ota_port (f->dev->sim));
  g_signal_connect (f->dev->sim, "upload-finished", G_CALLBACK (close_relay_on_upload_cb), relay);
  device = manual_device (f, relay->port, api_port);
  g_assert_cmpint (espy_device_get_sources (device) & ESPY_DEVICE_SOURCES_MDNS, ==, 0);

  {
    g_autoptr(EspyFirmwareImage) image = make_image (20 * 1024, NEW_VERSION, 7);

    f->job = espy_install_job_new (device, image);
  }
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_reboot_timeout (f->job, 4000);
  espy_install_job_set_api_port (f->job, api_port);
  espy_install_job_set_use_keyring (f->job, FALSE);
  g_signal_connect (f->job, "state-changed", G_CALLBACK (state_changed_cb), f);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_null (relay->service);
  g_assert_true (log_has (f->job, "its API port answered"));
  g_assert_cmpstr (espy_install_job_get_new_version (f->job), ==, NEW_VERSION);
  g_assert_cmpstr (espy_install_job_get_attempt (f->job)->verify, ==, "new-build");
  g_signal_handlers_disconnect_by_data (f->dev->sim, relay);
  relay_free (relay);
}

/* Neither mDNS nor the API: the OTA port coming back is the sign. */
static void
test_back_by_port (Fixture       *f,
                   gconstpointer  data)
{
  EspyDevice *device;

  start_sim (f);
  device = manual_device (f, espy_sim_device_get_ota_port (f->dev->sim), 0);
  {
    g_autoptr(EspyFirmwareImage) image = make_image (20 * 1024, NEW_VERSION, 7);

    f->job = espy_install_job_new (device, image);
  }
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_reboot_timeout (f->job, 4000);
  g_signal_connect (f->job, "state-changed", G_CALLBACK (state_changed_cb), f);
  run_job (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_true (log_has (f->job, "its port answered"));
  g_assert_cmpstr (espy_install_job_get_attempt (f->job)->verify, ==, "back");
}

/* --- the device's log around a failure ------------------------------------------- */

#define SIM_OTA_PASSWORD "0ta-pa55-xyz"
#define SIM_MARKED       "m4rked-s3cret"

/* What the "device" keeps saying once it is back on the old firmware. */
static gboolean
rollback_lines_cb (gpointer data)
{
  EspySimDevice *sim = data;
  g_autofree char *marked = g_strdup_printf ("Token: \033[5m%s\033[6m", SIM_MARKED);

  if (espy_sim_device_get_state (sim) != ESPY_SIM_STATE_RUNNING || espy_sim_device_get_upload_count (sim) == 0)
    return G_SOURCE_CONTINUE;
  espy_sim_device_log (sim, 'W', "safe_mode", 86, "OTA rollback detected! Rolled back from partition 'app1'");
  espy_sim_device_log (sim, 'D', "ota", 42, "Password: " SIM_OTA_PASSWORD);
  espy_sim_device_log (sim, 'D', "app", 7, marked);
  return G_SOURCE_CONTINUE;
}

/* Back on the old build: the job reads the device's log itself after the
 * failure, redacts it, and the diagnosis and the history use it. */
static void
test_device_log_old_build (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-test-history-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) history = espy_history_new (path);
  g_autoptr(EspyHistory) reloaded = espy_history_new (path);
  g_autoptr(EspyInstallAttempt) last = NULL;
  g_autoptr(EspyDiagnosis) diagnosis = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *file = NULL;
  EspyDiagnosisInput input = { NULL };
  const char * const *lines;
  EspyDevice *device;
  guint timer;

  /* The image is the build the device runs. */
  espy_sim_device_set_compilation_time (f->dev->sim, "Jan 10 2026, 12:00:00");
  espy_sim_device_set_version (f->dev->sim, NEW_VERSION);
  espy_sim_device_set_password (f->dev->sim, SIM_OTA_PASSWORD);
  espy_sim_device_set_api_port (f->dev->sim, 0);
  start_sim (f);
  device = manual_device (f, espy_sim_device_get_ota_port (f->dev->sim), espy_sim_device_get_api_port (f->dev->sim));
  {
    g_autoptr(EspyFirmwareImage) image = make_image (20 * 1024, NEW_VERSION, 7);

    f->job = espy_install_job_new (device, image);
  }
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_reboot_timeout (f->job, 5000);
  espy_install_job_set_api_port (f->job, espy_sim_device_get_api_port (f->dev->sim));
  espy_install_job_set_password (f->job, SIM_OTA_PASSWORD);
  espy_install_job_set_use_keyring (f->job, FALSE);
  espy_install_job_set_log_capture_timeout (f->job, 1500);
  timer = g_timeout_add (100, rollback_lines_cb, f->dev->sim);
  run_job (f);
  g_source_remove (timer);

  g_assert_error (f->error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_VERIFYING);
  lines = espy_install_job_get_device_log (f->job);
  g_assert_nonnull (lines);
  g_assert_cmpuint (g_strv_length ((char **) lines), <=, ESPY_INSTALL_DEVICE_LOG_MAX);
  g_assert_true (lines_have (lines, "OTA rollback detected"));
  /* The config dump asked for on connect. */
  g_assert_true (lines_have (lines, "compiled on"));
  /* Redacted: the password the job held, the marked spans (also the dump's SSID). */
  g_assert_true (lines_have (lines, "Password: "));
  g_assert_false (lines_have (lines, SIM_OTA_PASSWORD));
  g_assert_false (lines_have (lines, SIM_MARKED));
  g_assert_false (lines_have (lines, "espy-net"));
  g_assert_false (lines_have (lines, "\033"));
  g_assert_true (log_has (f->job, "Read "));

  input.attempt = espy_install_job_get_attempt (f->job);
  input.log_lines = lines;
  input.platform = "ESP32";
  diagnosis = espy_diagnose (&input);
  g_assert_cmpstr (diagnosis->cause, ==, "rollback");

  /* What the application does with it, and what comes back after a restart. */
  espy_history_add (history, espy_install_job_get_attempt (f->job), lines);
  g_assert_true (espy_history_save (history, &error));
  g_assert_no_error (error);
  g_assert_true (espy_history_load (reloaded, &error));
  last = espy_history_get_last (reloaded, "kitchen", TRUE);
  g_assert_nonnull (last);
  g_assert_true (lines_have (espy_history_get_log_lines (reloaded, last), "OTA rollback detected"));
  g_assert_true (g_file_get_contents (path, &file, NULL, NULL));
  g_assert_null (strstr (file, SIM_OTA_PASSWORD));
  g_assert_null (strstr (file, SIM_MARKED));
  g_remove (path);
  g_rmdir (dir);
}

static gboolean
flag_cond (gpointer data)
{
  return *(gboolean *) data;
}

static void
session_state_cb (EspyLogSession *session,
                  GParamSpec     *pspec,
                  gboolean       *streaming)
{
  *streaming = espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING;
}

typedef struct {
  gboolean ready;
  gboolean seen;
} StreamSeen;

static void
session_line_cb (EspyLogSession *session,
                 EspyLogLine    *line,
                 const char     *raw,
                 StreamSeen     *seen)
{
  if (strstr (raw, "stream ready") != NULL)
    seen->ready = TRUE;
  if (strstr (raw, "last before the upload") != NULL)
    seen->seen = TRUE;
}

/* The application's log stream was open: its last lines before the failure
 * come first (at most half the room), then what the job read itself. */
static void
test_device_log_before (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EspyLogSession) session = NULL;
  const char * const *lines;
  gboolean streaming = FALSE;
  StreamSeen seen = { FALSE, FALSE };
  EspyDevice *device;
  guint before = 0;

  espy_sim_device_set_api_port (f->dev->sim, 0);
  espy_sim_device_add_fault (f->dev->sim, ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_ERROR, 0x83);
  start_sim (f);
  device = manual_device (f, espy_sim_device_get_ota_port (f->dev->sim), espy_sim_device_get_api_port (f->dev->sim));

  session = espy_log_session_new ("kitchen", "127.0.0.1", espy_sim_device_get_api_port (f->dev->sim));
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_dump_config (session, FALSE);
  g_signal_connect (session, "notify::state", G_CALLBACK (session_state_cb), &streaming);
  g_signal_connect (session, "line", G_CALLBACK (session_line_cb), &seen);
  espy_log_session_start (session);
  g_assert_true (wait_until (flag_cond, &streaming, 10000));
  /* STREAMING means the subscription was sent; the device only logs to
   * it once it has read it (a loaded sanitizer run shows the gap). */
  for (guint i = 0; i < 100 && !seen.ready; i++)
    {
      espy_sim_device_log (f->dev->sim, 'I', "app", 1, "stream ready");
      wait_until (flag_cond, &seen.ready, 100);
    }
  g_assert_true (seen.ready);
  for (guint i = 0; i < 80; i++)
    {
      g_autofree char *text = g_strdup_printf ("old line %u", i);

      espy_sim_device_log (f->dev->sim, 'I', "app", 1, text);
    }
  espy_sim_device_log (f->dev->sim, 'I', "app", 2, "last before the upload");
  g_assert_true (wait_until (flag_cond, &seen.seen, 10000));

  {
    g_autoptr(EspyFirmwareImage) image = make_image (64 * 1024, NEW_VERSION, 7);

    f->job = espy_install_job_new (device, image);
  }
  espy_install_job_set_ota_retries (f->job, 0, 10);
  espy_install_job_set_api_port (f->job, espy_sim_device_get_api_port (f->dev->sim));
  espy_install_job_set_use_keyring (f->job, FALSE);
  espy_install_job_set_log_session (f->job, session);
  espy_install_job_set_log_capture_timeout (f->job, 2000);
  run_job (f);
  espy_log_session_stop (session);

  g_assert_error (f->error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRITE_FAILED);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_UPLOADING);
  lines = espy_install_job_get_device_log (f->job);
  g_assert_nonnull (lines);
  g_assert_cmpuint (g_strv_length ((char **) lines), <=, ESPY_INSTALL_DEVICE_LOG_MAX);
  for (guint i = 0; lines[i] != NULL && (strstr (lines[i], "old line") != NULL
                                          || strstr (lines[i], "last before the upload") != NULL); i++)
    before++;
  /* The newest half of the room from the stream, oldest first... */
  g_assert_cmpuint (before, <=, ESPY_INSTALL_DEVICE_LOG_MAX / 2);
  g_assert_true (lines_have (lines, "last before the upload"));
  g_assert_true (lines_have (lines, "old line 79"));
  g_assert_false (lines_have (lines, "old line 0"));
  g_assert_nonnull (strstr (lines[0], "old line"));
  /* ...then the job's own read (the config dump). */
  g_assert_true (lines_have (lines, "compiled on"));
  g_assert_cmpuint (before, <, g_strv_length ((char **) lines));
}

/* No capture when the device was never reached; and none when disabled. */
static void
test_device_log_unreached (Fixture       *f,
                           gconstpointer  data)
{
  gint64 start;

  dev_start (f->dev);
  new_job (f, 20 * 1024, NEW_VERSION);
  /* Nothing listens there. */
  espy_install_job_set_ota_port (f->job, 1);
  espy_install_job_set_api_port (f->job, 1);
  espy_install_job_set_use_keyring (f->job, FALSE);
  start = g_get_monotonic_time ();
  run_job (f);
  g_assert_false (f->ok);
  g_assert_cmpint (espy_install_job_get_failed_state (f->job), ==, ESPY_INSTALL_STATE_CONNECTING);
  g_assert_null (espy_install_job_get_device_log (f->job));
  g_assert_false (log_has (f->job, "Reading the device's log"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

/* --- manager tests --------------------------------------------------------- */

typedef struct {
  EspyInstallManager *manager;
  GPtrArray          *started;   /* device names in start order */
  GPtrArray          *finished;
  guint               max_running;
} Watch;

static void
mgr_started_cb (EspyInstallManager *manager,
                EspyInstallJob     *job,
                Watch              *w)
{
  g_ptr_array_add (w->started, g_strdup (espy_install_job_get_device_name (job)));
  w->max_running = MAX (w->max_running, espy_install_manager_get_n_running (manager));
}

static void
mgr_finished_cb (EspyInstallManager *manager,
                 EspyInstallJob     *job,
                 Watch              *w)
{
  g_assert_true (espy_install_job_is_final (job));
  g_ptr_array_add (w->finished, g_strdup (espy_install_job_get_device_name (job)));
}

static void
mgr_notify_cb (EspyInstallManager *manager,
               GParamSpec         *pspec,
               Watch              *w)
{
  w->max_running = MAX (w->max_running, espy_install_manager_get_n_running (manager));
  g_assert_cmpuint (espy_install_manager_get_n_running (manager), <=,
                    espy_install_manager_get_max_parallel (manager));
}

static gboolean
idle_cond (gpointer data)
{
  return !espy_install_manager_get_has_running (((Watch *) data)->manager);
}

static void
watch_init (Watch *w)
{
  w->manager = espy_install_manager_new ();
  w->started = g_ptr_array_new_with_free_func (g_free);
  w->finished = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (w->manager, "job-started", G_CALLBACK (mgr_started_cb), w);
  g_signal_connect (w->manager, "job-finished", G_CALLBACK (mgr_finished_cb), w);
  g_signal_connect (w->manager, "notify::n-running", G_CALLBACK (mgr_notify_cb), w);
}

static void
watch_clear (Watch *w)
{
  g_clear_object (&w->manager);
  g_ptr_array_unref (w->started);
  g_ptr_array_unref (w->finished);
}

static void
test_manager_queue (void)
{
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(EspyFirmwareImage) image = make_image (48 * 1024, NEW_VERSION, 3);
  g_autoptr(GApplication) app = g_application_new ("io.github.espy.TestInstall", G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  Dev *devs[5];
  Watch w = { 0 };
  gpointer weak[5];
  guint i;

  espy_device_store_set_probe_interval (store, 0);
  watch_init (&w);
  espy_install_manager_set_max_parallel (w.manager, 2);
  espy_install_manager_hold_application (w.manager, app);

  for (i = 0; i < G_N_ELEMENTS (devs); i++)
    {
      g_autofree char *name = g_strdup_printf ("dev%u", i);
      g_autoptr(EspyInstallJob) job = NULL;

      devs[i] = dev_new (store, name);
      /* Slow enough that jobs overlap. */
      espy_sim_device_set_flash_rate (devs[i]->sim, 256 * 1024);
      dev_start (devs[i]);
      job = espy_install_job_new (devs[i]->device, image);
      espy_install_job_set_ota_retries (job, 0, 10);
      weak[i] = job;
      g_object_add_weak_pointer (G_OBJECT (job), &weak[i]);
      g_assert_true (espy_install_manager_start (w.manager, job, &error));
      g_assert_no_error (error);
      /* The card finds it. */
      g_assert_true (espy_install_manager_lookup_active (w.manager, name) == job);
    }
  g_assert_cmpuint (espy_install_manager_get_n_running (w.manager), ==, 2);
  g_assert_cmpuint (espy_install_manager_get_n_queued (w.manager), ==, 3);
  g_assert_true (espy_install_manager_get_has_running (w.manager));
  g_assert_cmpuint (g_list_model_get_n_items (espy_install_manager_get_jobs (w.manager)), ==, 5);

  /* One install per device at a time. */
  {
    g_autoptr(EspyInstallJob) again = espy_install_job_new (devs[4]->device, image);

    g_assert_false (espy_install_manager_start (w.manager, again, &error));
    g_assert_error (error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_BUSY);
    g_clear_error (&error);
    g_assert_cmpint (espy_install_job_get_state (again), ==, ESPY_INSTALL_STATE_PENDING);
  }

  g_assert_true (wait_until (idle_cond, &w, 60000));
  g_assert_cmpuint (w.max_running, ==, 2);
  g_assert_cmpuint (w.started->len, ==, 5);
  for (i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev%u", i);
      EspyInstallJob *job;

      g_assert_cmpstr (g_ptr_array_index (w.started, i), ==, name);
      g_assert_null (espy_install_manager_lookup_active (w.manager, name));
      job = espy_install_manager_lookup_last (w.manager, name);
      g_assert_nonnull (job);
      g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);
      g_assert_cmpstr (espy_install_job_get_new_version (job), ==, NEW_VERSION);
    }
  g_assert_cmpuint (w.finished->len, ==, 5);

  espy_install_manager_clear_finished (w.manager);
  g_assert_cmpuint (g_list_model_get_n_items (espy_install_manager_get_jobs (w.manager)), ==, 0);
  for (i = 0; i < 5; i++)
    g_assert_null (weak[i]);

  espy_install_manager_hold_application (w.manager, NULL);
  watch_clear (&w);
  for (i = 0; i < G_N_ELEMENTS (devs); i++)
    dev_free (devs[i]);
}

static void
test_manager_cancel (void)
{
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(EspyFirmwareImage) image = make_image (256 * 1024, NEW_VERSION, 4);
  g_autoptr(GError) error = NULL;
  Dev *devs[3];
  EspyInstallJob *jobs[3];
  Watch w = { 0 };
  guint i;

  espy_device_store_set_probe_interval (store, 0);
  watch_init (&w);
  espy_install_manager_set_max_parallel (w.manager, 1);

  for (i = 0; i < G_N_ELEMENTS (devs); i++)
    {
      g_autofree char *name = g_strdup_printf ("c%u", i);
      g_autoptr(EspyInstallJob) job = NULL;

      devs[i] = dev_new (store, name);
      espy_sim_device_set_flash_rate (devs[i]->sim, i == 0 ? 512 * 1024 : 32 * 1024);
      dev_start (devs[i]);
      job = espy_install_job_new (devs[i]->device, image);
      jobs[i] = job;
      g_assert_true (espy_install_manager_start (w.manager, job, &error));
    }

  /* A queued job cancelled leaves the queue without running. */
  espy_install_job_cancel (jobs[1]);
  g_assert_cmpint (espy_install_job_get_state (jobs[1]), ==, ESPY_INSTALL_STATE_CANCELLED);
  g_assert_cmpuint (espy_install_manager_get_n_queued (w.manager), ==, 1);
  g_assert_cmpuint (w.finished->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (w.finished, 0), ==, "c1");

  /* Once c2 runs, cancel everything. */
  while (espy_install_job_get_state (jobs[2]) == ESPY_INSTALL_STATE_PENDING)
    g_main_context_iteration (NULL, TRUE);
  espy_install_manager_cancel_all (w.manager);
  g_assert_true (wait_until (idle_cond, &w, 30000));

  g_assert_cmpint (espy_install_job_get_state (jobs[0]), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  g_assert_cmpint (espy_install_job_get_state (jobs[2]), ==, ESPY_INSTALL_STATE_CANCELLED);
  g_assert_cmpuint (espy_sim_device_get_connection_count (devs[1]->sim), ==, 0);
  g_assert_cmpuint (w.started->len, ==, 2);
  g_assert_cmpuint (w.finished->len, ==, 3);

  watch_clear (&w);
  for (i = 0; i < G_N_ELEMENTS (devs); i++)
    dev_free (devs[i]);
}

/* The manager holds the job; a dialog that started it may go away. */
static void
test_manager_dropped_refs (void)
{
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(EspyFirmwareImage) image = make_image (32 * 1024, NEW_VERSION, 5);
  g_autoptr(GError) error = NULL;
  Dev *dev;
  EspyInstallJob *job;
  Watch w = { 0 };

  espy_device_store_set_probe_interval (store, 0);
  watch_init (&w);
  dev = dev_new (store, "porch");
  dev_start (dev);
  job = espy_install_job_new (dev->device, image);
  g_assert_true (espy_install_manager_start (w.manager, job, &error));
  g_object_unref (job);
  g_assert_true (wait_until (idle_cond, &w, 30000));
  job = espy_install_manager_lookup_last (w.manager, "PORCH");
  g_assert_nonnull (job);
  g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  watch_clear (&w);
  dev_free (dev);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define JOB_TEST(path, fn) \
  g_test_add ("/install-job/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

  JOB_TEST ("success", test_success);
  JOB_TEST ("same-version", test_same_version);
  JOB_TEST ("wrong-password", test_wrong_password);
  JOB_TEST ("device-error", test_device_error);
  JOB_TEST ("web-refused", test_web_refused);
  JOB_TEST ("cancel-uploading", test_cancel_uploading);
  JOB_TEST ("cancel-rebooting", test_cancel_rebooting);
  JOB_TEST ("cancel-pending", test_cancel_pending);
  JOB_TEST ("caller-cancellable", test_caller_cancellable);
  JOB_TEST ("not-back", test_not_back);
  JOB_TEST ("dropped-refs", test_dropped_refs);
  JOB_TEST ("back-by-mdns", test_back_by_mdns);
  JOB_TEST ("back-by-api", test_back_by_api);
  JOB_TEST ("back-by-port", test_back_by_port);
  JOB_TEST ("device-log-old-build", test_device_log_old_build);
  JOB_TEST ("device-log-before", test_device_log_before);
  JOB_TEST ("device-log-unreached", test_device_log_unreached);
  g_test_add_func ("/install-manager/queue", test_manager_queue);
  g_test_add_func ("/install-manager/cancel", test_manager_cancel);
  g_test_add_func ("/install-manager/dropped-refs", test_manager_dropped_refs);

  return g_test_run ();
}
