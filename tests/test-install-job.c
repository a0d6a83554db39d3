/* test-install-job.c: the install job's state machine and the install
 * manager's queue, against in-process simulated devices over real sockets.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "espy-device-store.h"
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
  g_test_add_func ("/install-manager/queue", test_manager_queue);
  g_test_add_func ("/install-manager/cancel", test_manager_cancel);
  g_test_add_func ("/install-manager/dropped-refs", test_manager_dropped_refs);

  return g_test_run ();
}
