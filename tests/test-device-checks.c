/* test-device-checks.c: the troubleshooting checks against a reachable, an
 * unreachable and a busy simulated device, and every simulator fault run
 * through a real install job into the history and the diagnosis.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-checks.h"
#include "espy-device-store.h"
#include "espy-diagnosis.h"
#include "espy-history.h"
#include "espy-install-job.h"
#include "espy-ota-protocol.h"
#include "espy-report.h"
#include "espy-sim-device.h"

#define BOUND_MS 1500

/* --- helpers -------------------------------------------------------------- */

typedef struct {
  GPtrArray *results;
  GError    *error;
  gboolean   done;
  guint      n_signals;
} RunData;

static void
check_finished_cb (EspyDeviceChecks *checks,
                   EspyCheckResult  *result,
                   RunData          *data)
{
  g_assert_nonnull (result);
  data->n_signals++;
}

static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RunData *data = user_data;

  data->results = espy_device_checks_run_finish (ESPY_DEVICE_CHECKS (source), result, &data->error);
  data->done = TRUE;
}

static GPtrArray *
run_checks (EspyDeviceChecks *checks,
            guint            *elapsed_ms)
{
  RunData data = { 0 };
  gint64 start = g_get_monotonic_time ();
  gulong id = g_signal_connect (checks, "check-finished", G_CALLBACK (check_finished_cb), &data);

  espy_device_checks_run_async (checks, NULL, run_done_cb, &data);
  while (!data.done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (checks, id);
  g_assert_no_error (data.error);
  g_assert_nonnull (data.results);
  g_assert_cmpuint (data.results->len, ==, ESPY_N_CHECKS);
  g_assert_cmpuint (data.n_signals, ==, ESPY_N_CHECKS);
  for (guint i = 0; i < data.results->len; i++)
    {
      const EspyCheckResult *r = g_ptr_array_index (data.results, i);

      g_assert_nonnull (r);
      g_assert_cmpint (r->id, ==, i);
      g_assert_true (r->summary != NULL && *r->summary != '\0');
      g_test_message ("%-14s %-7s %5u ms  %s", espy_check_id_to_nick (r->id), espy_check_status_to_nick (r->status),
                      r->elapsed_ms, r->summary);
    }
  if (elapsed_ms != NULL)
    *elapsed_ms = (guint) ((g_get_monotonic_time () - start) / 1000);
  return data.results;
}

static const EspyCheckResult *
get (GPtrArray   *results,
     EspyCheckId  id)
{
  const EspyCheckResult *r = espy_check_results_find (results, id);

  g_assert_nonnull (r);
  return r;
}

static guint16
closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static EspySimDevice *
start_sim (const char *name,
           const char *password)
{
  g_autoptr(GError) error = NULL;
  EspySimDevice *sim = espy_sim_device_new (name);

  espy_sim_device_set_platform (sim, "ESP32");
  espy_sim_device_set_version (sim, "2025.10.0");
  espy_sim_device_set_generation (sim, ESPY_SIM_GENERATION_2025_10);
  espy_sim_device_set_password (sim, password);
  espy_sim_device_set_boot_ms (sim, 100);
  g_assert_true (espy_sim_device_start (sim, &error));
  g_assert_no_error (error);
  return sim;
}

/* --- the checks ----------------------------------------------------------- */

static void
test_subnet (void)
{
  g_autofree char *iface = NULL;

  g_assert_true (espy_address_is_local_subnet ("127.0.0.1", &iface));
  g_assert_cmpstr (iface, ==, "lo");
  g_assert_true (espy_address_is_local_subnet ("127.45.1.2", NULL));
  /* TEST-NET-3 is on nobody's network. */
  g_assert_false (espy_address_is_local_subnet ("203.0.113.7", NULL));
  g_assert_false (espy_address_is_local_subnet ("not an address", NULL));
}

static void
test_reachable (void)
{
  g_autoptr(EspySimDevice) sim = start_sim ("kitchen", NULL);
  guint16 api = closed_port ();
  g_autoptr(EspyDeviceChecks) checks = espy_device_checks_new ("127.0.0.1", espy_sim_device_get_ota_port (sim),
                                                               api, 0);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(EspyDiagnosis) diag = NULL;
  EspyDiagnosisInput input = { 0 };
  guint elapsed;

  espy_device_checks_set_timeout (checks, BOUND_MS);
  results = run_checks (checks, &elapsed);

  g_assert_cmpint (get (results, ESPY_CHECK_OTA_PORT)->status, ==, ESPY_CHECK_STATUS_PASS);
  g_assert_cmpint (get (results, ESPY_CHECK_OTA_HANDSHAKE)->status, ==, ESPY_CHECK_STATUS_PASS);
  g_assert_nonnull (strstr (get (results, ESPY_CHECK_OTA_HANDSHAKE)->summary, "protocol 2"));
  g_assert_cmpint (get (results, ESPY_CHECK_SUBNET)->status, ==, ESPY_CHECK_STATUS_PASS);
  /* An address: nothing for DNS or mDNS to resolve; no web port known. */
  g_assert_cmpint (get (results, ESPY_CHECK_DNS)->status, ==, ESPY_CHECK_STATUS_SKIPPED);
  g_assert_cmpint (get (results, ESPY_CHECK_MDNS)->status, ==, ESPY_CHECK_STATUS_SKIPPED);
  g_assert_cmpint (get (results, ESPY_CHECK_WEB_PORT)->status, ==, ESPY_CHECK_STATUS_SKIPPED);
  g_assert_cmpint (get (results, ESPY_CHECK_LAST_SEEN)->status, ==, ESPY_CHECK_STATUS_SKIPPED);
  /* Nothing listens on the API port. */
  g_assert_cmpint (get (results, ESPY_CHECK_API_PORT)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpstr (get (results, ESPY_CHECK_API_PORT)->error_code, ==, "connection-refused");
  g_assert_cmpint (get (results, ESPY_CHECK_API_INFO)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpstr (get (results, ESPY_CHECK_API_INFO)->error_domain, ==, "api");
  g_assert_cmpuint (elapsed, <, BOUND_MS + 1000);

  /* The handshake check did not upload anything and left the device usable. */
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 0);
  {
    /* The device notices the check's goodbye a moment later. */
    gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

    while (espy_sim_device_get_state (sim) != ESPY_SIM_STATE_RUNNING && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  g_assert_cmpint (espy_sim_device_get_state (sim), ==, ESPY_SIM_STATE_RUNNING);

  input.checks = results;
  diag = espy_diagnose (&input);
  g_assert_cmpstr (diag->cause, !=, "busy");
  g_assert_cmpstr (diag->cause, !=, "connection-refused");
  espy_sim_device_stop (sim);
}

static void
test_password (void)
{
  g_autoptr(EspySimDevice) sim = start_sim ("porch", "right-pass");
  const char *passwords[] = { NULL, "wrong-pass", "right-pass" };
  const EspyCheckStatus expected[] = { ESPY_CHECK_STATUS_PASS, ESPY_CHECK_STATUS_FAIL, ESPY_CHECK_STATUS_PASS };
  const char *codes[] = { "password-required", "password-rejected", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (passwords); i++)
    {
      g_autoptr(EspyDeviceChecks) checks = espy_device_checks_new ("127.0.0.1", espy_sim_device_get_ota_port (sim),
                                                                   closed_port (), 0);
      g_autoptr(GPtrArray) results = NULL;
      const EspyCheckResult *r;

      espy_device_checks_set_timeout (checks, BOUND_MS);
      espy_device_checks_set_ota_password (checks, passwords[i]);
      results = run_checks (checks, NULL);
      r = get (results, ESPY_CHECK_OTA_HANDSHAKE);
      g_assert_cmpint (r->status, ==, expected[i]);
      g_assert_cmpstr (r->error_code, ==, codes[i]);
      /* The report never shows the password. */
      {
        EspyReportInput in = { .host = "127.0.0.1", .checks = results };
        g_autofree char *report = espy_report_build (&in);

        g_assert_null (strstr (report, "right-pass"));
        g_assert_null (strstr (report, "wrong-pass"));
      }
    }
  espy_sim_device_stop (sim);
}

static void
test_unreachable (void)
{
  guint16 port = closed_port ();
  g_autoptr(EspyDeviceChecks) checks = espy_device_checks_new ("127.0.0.1", port, closed_port (), closed_port ());
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(EspyDiagnosis) diag = NULL;
  EspyDiagnosisInput input = { 0 };
  guint elapsed;

  espy_device_checks_set_timeout (checks, BOUND_MS);
  results = run_checks (checks, &elapsed);

  g_assert_cmpint (get (results, ESPY_CHECK_OTA_PORT)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpstr (get (results, ESPY_CHECK_OTA_PORT)->error_code, ==, "connection-refused");
  g_assert_cmpint (get (results, ESPY_CHECK_WEB_PORT)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpint (get (results, ESPY_CHECK_OTA_HANDSHAKE)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpstr (get (results, ESPY_CHECK_OTA_HANDSHAKE)->error_domain, ==, "ota");
  g_assert_cmpstr (get (results, ESPY_CHECK_OTA_HANDSHAKE)->error_code, ==, "connection-refused");
  /* Refused is immediate: no waiting for the bound. */
  g_assert_cmpuint (elapsed, <, BOUND_MS);

  input.checks = results;
  diag = espy_diagnose (&input);
  g_assert_cmpstr (diag->cause, ==, "connection-refused");
}

/* Another client holds the device's one OTA session: the check's connection
 * is accepted and hears nothing. */
static void
test_busy (void)
{
  g_autoptr(EspySimDevice) sim = start_sim ("garage", NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) holder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceChecks) checks = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(EspyDiagnosis) diag = NULL;
  g_autoptr(EspyInstallAttempt) attempt = espy_install_attempt_new ();
  EspyDiagnosisInput input = { 0 };
  const EspyCheckResult *r;
  guint8 answer[2];
  guint elapsed;

  holder = g_socket_client_connect_to_host (client, "127.0.0.1", espy_sim_device_get_ota_port (sim), NULL, &error);
  g_assert_no_error (error);
  /* Magic, then the version answer: the session is ours, and we stall it. */
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (holder)), espy_ota_magic,
                                            ESPY_OTA_MAGIC_LEN, NULL, NULL, &error));
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (holder)), answer, 2, NULL,
                                          NULL, &error));
  g_assert_cmpint (answer[0], ==, 0x00);

  checks = espy_device_checks_new ("127.0.0.1", espy_sim_device_get_ota_port (sim), closed_port (), 0);
  espy_device_checks_set_timeout (checks, BOUND_MS);
  results = run_checks (checks, &elapsed);

  r = get (results, ESPY_CHECK_OTA_HANDSHAKE);
  g_assert_cmpint (r->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpstr (r->error_code, ==, "timeout");
  g_assert_nonnull (strstr (r->summary, "another upload may be in progress"));
  g_assert_cmpuint (r->elapsed_ms, >=, BOUND_MS - 100);
  g_assert_cmpuint (r->elapsed_ms, <, BOUND_MS + 1000);
  g_assert_cmpuint (elapsed, <, BOUND_MS + 1500);
  /* The port itself answers: it is the session that is taken. */
  g_assert_cmpint (get (results, ESPY_CHECK_OTA_PORT)->status, ==, ESPY_CHECK_STATUS_PASS);
  g_assert_cmpuint (espy_sim_device_get_connection_count (sim), >=, 3);

  input.checks = results;
  diag = espy_diagnose (&input);
  g_assert_cmpstr (diag->cause, ==, "busy");

  /* A recorded timeout plus these checks: the same answer. */
  espy_install_attempt_set_string (attempt, &attempt->result, "failed");
  espy_install_attempt_set_string (attempt, &attempt->failed_state, "connecting");
  espy_install_attempt_set_string (attempt, &attempt->error_domain, "ota");
  espy_install_attempt_set_string (attempt, &attempt->error_code, "timeout");
  input.attempt = attempt;
  g_clear_pointer (&diag, espy_diagnosis_unref);
  diag = espy_diagnose (&input);
  g_assert_cmpstr (diag->cause, ==, "busy");

  g_io_stream_close (G_IO_STREAM (holder), NULL, NULL);
  espy_sim_device_stop (sim);
}

static void
test_cancel (void)
{
  g_autoptr(EspyDeviceChecks) checks = espy_device_checks_new ("127.0.0.1", closed_port (), closed_port (), 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RunData data = { 0 };

  g_cancellable_cancel (cancellable);
  espy_device_checks_run_async (checks, cancellable, run_done_cb, &data);
  while (!data.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (data.results);
  g_clear_error (&data.error);
}

/* A name nobody announces: mDNS fails (or is unavailable outside the
 * sandbox) within the bound, DNS fails. */
static void
test_unknown_name (void)
{
  g_autoptr(EspyDeviceChecks) checks = espy_device_checks_new ("no-such-device-espy.local", closed_port (),
                                                               closed_port (), 0);
  g_autoptr(GPtrArray) results = NULL;
  guint elapsed;

  espy_device_checks_set_timeout (checks, BOUND_MS);
  results = run_checks (checks, &elapsed);
  g_assert_cmpint (get (results, ESPY_CHECK_MDNS)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpint (get (results, ESPY_CHECK_DNS)->status, ==, ESPY_CHECK_STATUS_FAIL);
  g_assert_cmpint (get (results, ESPY_CHECK_SUBNET)->status, ==, ESPY_CHECK_STATUS_SKIPPED);
  g_assert_cmpuint (elapsed, <, BOUND_MS + 1500);
}

/* --- simulator faults through a real install job ------------------------- */

typedef struct {
  const char *fault;       /* as espy-sim --fault takes it */
  const char *platform;
  const char *password;    /* the device's; the job gets "right" */
  gboolean    no_password; /* the job gets none */
  const char *cause;
  const char *failed_state;
} FaultRow;

typedef struct {
  EspyInstallAttempt *attempt;
  gboolean            done;
} JobData;

static void
job_finished_cb (EspyInstallJob     *job,
                 EspyInstallAttempt *attempt,
                 JobData            *data)
{
  g_assert_null (data->attempt);
  data->attempt = espy_install_attempt_ref (attempt);
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  JobData *data = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (espy_install_job_run_finish (ESPY_INSTALL_JOB (source), result, &error));
  g_assert_nonnull (error);
  data->done = TRUE;
}

static void
test_sim_faults (void)
{
  const FaultRow rows[] = {
    { "magic:close", "ESP32", NULL, FALSE, "closed", "connecting" },
    { "features:garbage", "ESP32", NULL, FALSE, "not-esphome-ota", "connecting" },
    { "auth:error:0x82", "ESP32", "right", FALSE, "password-rejected", "connecting" },
    { "auth:close", "ESP32", "right", TRUE, "password-required", "connecting" },
    { "prepare:error:0x88", "ESP8266", NULL, FALSE, "not-enough-space", "uploading" },
    { "prepare:error:0x89", "ESP32", NULL, FALSE, "not-enough-space", "uploading" },
    { "prepare:error:0x81", "ESP32", NULL, FALSE, "not-enough-space", "uploading" },
    { "prepare:error:0x85", "ESP8266", NULL, FALSE, "invalid-bootstrapping", "uploading" },
    { "prepare:error:0x86", "ESP32", NULL, FALSE, "flash-config", "uploading" },
    { "prepare:error:0x87", "ESP32", NULL, FALSE, "flash-config", "uploading" },
    { "md5:error:0x8B", "ESP32", NULL, FALSE, "flash-write-failed", "uploading" },
    { "data:error:0x83", "ESP32", NULL, FALSE, "flash-write-failed", "uploading" },
    { "data:error:0x80", "ESP32", NULL, FALSE, "wrong-image", "uploading" },
    { "data:close", "ESP8266", NULL, FALSE, "out-of-memory", "uploading" },
    { "data:close", "ESP32", NULL, FALSE, "connection-lost", "uploading" },
    { "receive:error:0x84", "ESP32", NULL, FALSE, "flash-write-failed", "uploading" },
    { "end:error:0x8B", "ESP32", NULL, FALSE, "flash-write-failed", "uploading" },
    { "end:error:0xFF", "ESP32", NULL, FALSE, "device-error", "uploading" },
  };
  g_autofree char *dir = g_dir_make_tmp ("espy-doctor-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) history = espy_history_new (path);
  g_autoptr(EspyHistory) reread = espy_history_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const FaultRow *row = &rows[i];
      g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
      g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();
      g_autoptr(EspySimDevice) sim = espy_sim_device_new ("faulty");
      g_autoptr(GBytes) bytes = espy_sim_make_image (64 * 1024, "2026.1.0", "Jan 10 2026, 12:00:00", 7);
      g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
      g_autoptr(EspyInstallJob) job = NULL;
      EspySimStep step;
      EspySimFaultKind kind;
      guint8 byte = 0;
      JobData data = { 0 };

      g_test_message ("fault %s on %s", row->fault, row->platform);
      g_assert_true (espy_sim_fault_parse (row->fault, &step, &kind, &byte, &error));
      espy_sim_device_set_platform (sim, row->platform);
      espy_sim_device_set_version (sim, "2025.10.0");
      espy_sim_device_set_generation (sim, ESPY_SIM_GENERATION_2025_10);
      espy_sim_device_set_password (sim, row->password);
      espy_sim_device_add_fault (sim, step, kind, byte);
      g_assert_true (espy_sim_device_start (sim, &error));

      espy_device_info_set_name (info, "faulty");
      espy_device_info_add_address (info, "127.0.0.1");
      info->ota_port = espy_sim_device_get_ota_port (sim);
      espy_device_info_set_platform (info, row->platform);
      espy_device_info_set_version (info, "2025.10.0");
      g_assert_true (espy_device_store_update (store, ESPY_DEVICE_SOURCE_MANUAL, "faulty", info));

      job = espy_install_job_new (espy_device_store_lookup (store, "faulty"), image);
      espy_install_job_set_transport (job, ESPY_INSTALL_TRANSPORT_OTA);
      espy_install_job_set_ota_retries (job, 0, 0);
      espy_install_job_set_reboot_timeout (job, 2000);
      if (row->password != NULL && !row->no_password)
        espy_install_job_set_password (job, "right");
      g_signal_connect (job, "finished", G_CALLBACK (job_finished_cb), &data);
      espy_install_job_run_async (job, NULL, job_done_cb, &data);
      while (!data.done)
        g_main_context_iteration (NULL, TRUE);
      g_assert_nonnull (data.attempt);

      espy_history_add (history, data.attempt, NULL);
      {
        EspyDiagnosisInput input = { data.attempt, NULL, NULL, row->platform, NULL };
        g_autoptr(EspyDiagnosis) diag = espy_diagnose (&input);
        const EspyInstallAttemptStage *last;

        g_assert_cmpstr (data.attempt->result, ==, "failed");
        g_assert_cmpstr (data.attempt->failed_state, ==, row->failed_state);
        g_assert_cmpstr (diag->cause, ==, row->cause);
        /* The timeline: started, ended, the failing state last and closed. */
        g_assert_cmpuint (data.attempt->stages->len, >=, 2);
        last = &g_array_index (data.attempt->stages, EspyInstallAttemptStage, data.attempt->stages->len - 1);
        g_assert_cmpstr (last->name, ==, row->failed_state);
        g_assert_cmpint (last->finished, >=, last->started);
        g_assert_cmpint (data.attempt->finished, >=, data.attempt->started);
        g_assert_cmpint (data.attempt->started, >, 0);
      }
      g_clear_pointer (&data.attempt, espy_install_attempt_unref);
      espy_sim_device_stop (sim);
    }

  /* Everything recorded survives a restart, newest first, all failures. */
  g_assert_true (espy_history_save (history, &error));
  g_assert_no_error (error);
  g_assert_true (espy_history_load (reread, &error));
  problems = espy_history_list_problems (reread, "faulty", 0);
  g_assert_cmpuint (problems->len, ==, G_N_ELEMENTS (rows));
  {
    const EspyInstallAttempt *newest = problems->pdata[0];
    EspyDiagnosisInput input = { newest, NULL, NULL, "ESP32", NULL };
    g_autoptr(EspyDiagnosis) diag = espy_diagnose (&input);

    g_assert_cmpstr (diag->cause, ==, rows[G_N_ELEMENTS (rows) - 1].cause);
  }

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/device-checks/subnet", test_subnet);
  g_test_add_func ("/device-checks/reachable", test_reachable);
  g_test_add_func ("/device-checks/password", test_password);
  g_test_add_func ("/device-checks/unreachable", test_unreachable);
  g_test_add_func ("/device-checks/busy", test_busy);
  g_test_add_func ("/device-checks/cancel", test_cancel);
  g_test_add_func ("/device-checks/unknown-name", test_unknown_name);
  g_test_add_func ("/device-checks/sim-faults", test_sim_faults);

  return g_test_run ();
}
